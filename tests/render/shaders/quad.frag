#version 450
// Samples the texture that depot's render layer handed out for this frame.
layout(set = 0, binding = 0) uniform sampler2D tex;
layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;

void main()
{
    color = texture(tex, uv);
}
