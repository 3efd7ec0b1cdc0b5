// (Compiled after plate.glsl and backdrop.glsl; vertex shader sky.vert.)
// The plate straight from a camera, for the reference view: v_dir is the
// stage direction of the pixel.
uniform vec3 u_eye;
in vec3 v_dir;
out vec4 o_color;
void main()
{
    o_color = vec4(backdrop(u_eye, u_eye + v_dir), 1.0);
}
