// The plate behind everything (compiled after plate.glsl, before the
// shader's own body). backdrop(eye, w) is what the viewer at `eye` sees of
// the plate through stage point w, worked out per pixel: no intermediate
// render, so a moving camera costs nothing extra.
// BACKDROP (a #define, one program per mode): 0 none, 1 equirect, 2 flat
// screen, 3 wall (the plate stretched over the canvas; see canvas.frag).
uniform mat3 u_plate_rot;       // stage direction -> plate axes (x right, y ahead, z up)
uniform vec3 u_screen_centre;   // flat: centre of the screen (stage metres)
uniform vec3 u_screen_right;    // flat: centre to right edge
uniform vec3 u_screen_up;       // flat: centre to top edge

#if BACKDROP == 1
const float PI = 3.14159265358979;

// Longitude 0 (straight ahead) is the middle of the picture, +90 degrees
// (right) three quarters across; latitude +90 (up) the top row.
vec3 backdrop(vec3 eye, vec3 w)
{
    vec3 p = u_plate_rot * (w - eye);
    float lon = atan(p.x, p.y);
    float lat = asin(clamp(p.z / length(p), -1.0, 1.0));
    return plate_sample(vec2(0.5 + lon / (2.0 * PI), 0.5 - lat / PI));
}
#elif BACKDROP == 2
// The ray eye + t (w - eye), t > 0, through the screen's plane; black
// outside the screen and, by the plate's alpha, through it (premultiplied:
// a screen standing in the scene shows what is behind it, and behind a
// plate there is only black: the scene is drawn in front, without sky).
vec3 backdrop(vec3 eye, vec3 w)
{
    vec3 d = w - eye;
    vec3 n = cross(u_screen_right, u_screen_up);
    float along = dot(d, n);
    float t = along != 0.0 ? dot(u_screen_centre - eye, n) / along : -1.0;
    vec3 p = eye + t * d - u_screen_centre;
    vec2 st = vec2(dot(p, u_screen_right) / dot(u_screen_right, u_screen_right),
                   dot(p, u_screen_up) / dot(u_screen_up, u_screen_up));
    bool on_screen = t > 0.0 && abs(st.x) <= 1.0 && abs(st.y) <= 1.0;
    vec4 c = plate_sample_rgba(vec2(0.5 + 0.5 * st.x, 0.5 - 0.5 * st.y));
    return on_screen ? c.rgb * c.a : vec3(0.0);
}
#else
vec3 backdrop(vec3 eye, vec3 w)
{
    return vec3(0.0);
}
#endif
