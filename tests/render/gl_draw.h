/* gl_draw.h — draw-and-read-back scaffolding for the GL tests (test_gl_backend,
 * test_render_gl): a full-screen quad sampling a texture (nearest) into a new framebuffer,
 * then glReadPixels. Header-only (static inline) so that only the GL tests, which are built
 * only with DP_HAVE_GLRENDER, see GL. Include after GL/gl.h, GL/glext.h and testutil.h. */
#ifndef DP_TEST_GL_DRAW_H
#define DP_TEST_GL_DRAW_H

static inline GLuint dp_gl_draw_compile(GLenum kind, const char *src)
{
    GLuint s = glCreateShader(kind);
    glShaderSource(s, 1, &src, NULL);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[512];
        glGetShaderInfoLog(s, sizeof log, NULL, log);
        fail_msg("shader: %s", log);
    }
    return s;
}

/* Draws a full-screen quad sampling `tex` (nearest) into a new fb x fb framebuffer: the top
 * left of the screen samples (u0, v0), the bottom right (u1, v1) — (0, 0, 1, 1) puts the
 * image's first row at the top. Then reads back the w x h pixels at (x, y), rows bottom to
 * top as glReadPixels gives them, into out (w * h * 4 bytes). */
static inline void dp_gl_draw_read(GLuint tex, int fb, float u0, float v0, float u1, float v1,
                                   int x, int y, int w, int h, unsigned char *out)
{
    static const char *vs_src =
        "#version 330 core\n"
        "layout(location = 0) in vec2 pos;\n"
        "uniform vec4 box;\n"
        "out vec2 uv;\n"
        "void main() {\n"
        "    vec2 t = vec2((pos.x + 1.0) * 0.5, (1.0 - pos.y) * 0.5);\n"
        "    uv = mix(box.xy, box.zw, t);\n"
        "    gl_Position = vec4(pos, 0.0, 1.0);\n"
        "}\n";
    static const char *fs_src = "#version 330 core\n"
                                "uniform sampler2D tex;\n"
                                "in vec2 uv;\n"
                                "out vec4 color;\n"
                                "void main() { color = texture(tex, uv); }\n";
    static const float quad[] = {-1, -1, 1, -1, -1, 1, 1, 1};

    GLuint fbo, rbo, vao, vbo, sampler;
    glGenFramebuffers(1, &fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glGenRenderbuffers(1, &rbo);
    glBindRenderbuffer(GL_RENDERBUFFER, rbo);
    glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, fb, fb);
    glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rbo);
    assert_int_equal(glCheckFramebufferStatus(GL_FRAMEBUFFER), GL_FRAMEBUFFER_COMPLETE);

    GLuint vs = dp_gl_draw_compile(GL_VERTEX_SHADER, vs_src);
    GLuint fs = dp_gl_draw_compile(GL_FRAGMENT_SHADER, fs_src);
    GLuint prog = glCreateProgram();
    glAttachShader(prog, vs);
    glAttachShader(prog, fs);
    glLinkProgram(prog);
    GLint ok = 0;
    glGetProgramiv(prog, GL_LINK_STATUS, &ok);
    assert_true(ok);

    glGenVertexArrays(1, &vao);
    glBindVertexArray(vao);
    glGenBuffers(1, &vbo);
    glBindBuffer(GL_ARRAY_BUFFER, vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
    glEnableVertexAttribArray(0);

    /* A sampler object picks nearest filtering without touching the backend's texture. */
    glGenSamplers(1, &sampler);
    glSamplerParameteri(sampler, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glSamplerParameteri(sampler, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, tex);
    glBindSampler(0, sampler);

    glViewport(0, 0, fb, fb);
    glClearColor(0, 0, 0, 0);
    glClear(GL_COLOR_BUFFER_BIT);
    glUseProgram(prog);
    glUniform1i(glGetUniformLocation(prog, "tex"), 0);
    glUniform4f(glGetUniformLocation(prog, "box"), u0, v0, u1, v1);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(x, y, w, h, GL_RGBA, GL_UNSIGNED_BYTE, out);
    assert_int_equal(glGetError(), GL_NO_ERROR);

    glBindSampler(0, 0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glDeleteSamplers(1, &sampler);
    glDeleteBuffers(1, &vbo);
    glDeleteVertexArrays(1, &vao);
    glUseProgram(0);
    glDeleteProgram(prog);
    glDeleteShader(vs);
    glDeleteShader(fs);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteRenderbuffers(1, &rbo);
    glDeleteFramebuffers(1, &fbo);
}

#endif
