#version 330 core
// The inner frustum's border on the wall, seen by the stage view's
// observer: the wall mesh again, each fragment knowing its stage position.
layout(location = 1) in vec3 a_world;
uniform mat4 u_vp;
out vec3 v_world;
void main()
{
    v_world = a_world;
    gl_Position = u_vp * vec4(a_world, 1.0);
}
