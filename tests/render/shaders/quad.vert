#version 450
// A quad over the whole framebuffer from four vertices of a triangle strip (no vertex
// buffer): vertex i sits at corner (i & 1, i >> 1); uv (0, 0) is the top left of the image.
layout(location = 0) out vec2 uv;

void main()
{
    vec2 corner = vec2(float(gl_VertexIndex & 1), float(gl_VertexIndex >> 1));
    uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
