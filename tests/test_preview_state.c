/*
 * What the preview window shows, without GL (engine/app/preview.c): the
 * keys and the mouse turning into observers, the zoom's bounds, and the
 * camera's path as a ring handed to the renderer oldest first, across the
 * ring's wrap and after a jump.
 */
#include "check.h"
#include "app/session.h"

#include <string.h>

/* One poll's worth of input. */
static vl_input keys(const char *k)
{
    vl_input in = { 0 };
    in.n_keys = (int)strlen(k);
    memcpy(in.keys, k, (size_t)in.n_keys);
    return in;
}

static void test_keys_and_mouse(void)
{
    preview p;
    preview_init(&p, (vl_rational){ 25, 1 }, VL_STAGE_VIEW_ORBIT);
    vl_stage_observer orbit = vl_stage_observer_default(VL_STAGE_VIEW_ORBIT);
    CHECK(p.observer.kind == VL_STAGE_VIEW_ORBIT && p.observer.zoom == 1);
    CHECK(p.observer.yaw_deg == orbit.yaw_deg && p.observer.pitch_deg == orbit.pitch_deg);
    CHECK(!p.help);

    vl_input in = keys("h");
    preview_input(&p, &in);
    CHECK(p.help);
    preview_input(&p, &in);
    CHECK(!p.help);

    /* Presets keep the zoom; + and - step it by 1.15, 0 resets it. */
    in = keys("++t");
    preview_input(&p, &in);
    CHECK(p.observer.kind == VL_STAGE_VIEW_TOP);
    CHECK_NEAR(p.observer.zoom, 1.15 * 1.15, 1e-12);
    in = keys("-fc");
    preview_input(&p, &in);
    CHECK(p.observer.kind == VL_STAGE_VIEW_CAMERA);
    CHECK_NEAR(p.observer.zoom, 1.15, 1e-12);
    CHECK(!strcmp(preview_view_name(&p), "from camera"));
    in = keys("0o");
    preview_input(&p, &in);
    CHECK(p.observer.kind == VL_STAGE_VIEW_ORBIT && p.observer.zoom == 1);

    /* The wheel, within 0.25 .. 16. */
    in = (vl_input){ .wheel = 100 };
    preview_input(&p, &in);
    CHECK(p.observer.zoom == 16);
    in = (vl_input){ .wheel = -200 };
    preview_input(&p, &in);
    CHECK(p.observer.zoom == 0.25);
    in = (vl_input){ .wheel = 5 };
    preview_input(&p, &in);
    CHECK_NEAR(p.observer.zoom, 0.25 * pow(1.15, 5), 1e-12);

    /* A drag right turns the stage right: the observer's bearing goes down,
     * 0.3 degrees a pixel; down raises it, up to 89 degrees. */
    double yaw = p.observer.yaw_deg, pitch = p.observer.pitch_deg;
    in = (vl_input){ .drag_x = 10, .drag_y = 20 };
    preview_input(&p, &in);
    CHECK_NEAR(p.observer.yaw_deg, yaw - 3, 1e-9);
    CHECK_NEAR(p.observer.pitch_deg, pitch + 6, 1e-9);
    in = (vl_input){ .drag_y = 10000 };
    preview_input(&p, &in);
    CHECK(p.observer.pitch_deg == 89);
    in = (vl_input){ .drag_y = -20000 };
    preview_input(&p, &in);
    CHECK(p.observer.pitch_deg == -89);

    /* From the top view a drag orbits from straight above, from the front
     * from just above the floor; the zoom stays. */
    in = keys("t+");
    preview_input(&p, &in);
    in = (vl_input){ .drag_x = 1 };
    preview_input(&p, &in);
    CHECK(p.observer.kind == VL_STAGE_VIEW_ORBIT && p.observer.pitch_deg == 89);
    CHECK_NEAR(p.observer.yaw_deg, -0.3, 1e-9);
    CHECK_NEAR(p.observer.zoom, 0.25 * pow(1.15, 6), 1e-12);
    in = keys("f");
    preview_input(&p, &in);
    in = (vl_input){ .drag_y = 1 };
    preview_input(&p, &in);
    CHECK(p.observer.kind == VL_STAGE_VIEW_ORBIT);
    CHECK_NEAR(p.observer.pitch_deg, 10.3, 1e-9);

    /* Other keys do nothing. */
    vl_stage_observer before = p.observer;
    in = keys("xyz9 ");
    preview_input(&p, &in);
    CHECK(!memcmp(&before, &p.observer, sizeof(before)) && !p.help);
    preview_free(&p);
}

static void test_path(void)
{
    /* 10 s at 25 fps: a ring of 250 positions. */
    preview p;
    preview_init(&p, (vl_rational){ 25, 1 }, VL_STAGE_VIEW_TOP);
    vl_camera cam = { .fov_h_deg = 50, .width = 16, .height = 9 };
    vl_window_view v = preview_view(&p, VL_LAYOUT_PREVIEW, &cam);
    CHECK(v.stage.n_path == 0 && v.stage.observer.kind == VL_STAGE_VIEW_TOP);
    CHECK(v.overlay == NULL && v.help == NULL && v.stage.cam == &cam);

    /* 600 steps of 1 cm along X: the ring wraps; the renderer gets the
     * newest 250, oldest first. */
    for (int i = 0; i < 600; i++)
        preview_add_position(&p, (double[3]){ 0.01 * i, 0, 1.5 });
    v = preview_view(&p, VL_LAYOUT_SINGLE, &cam);
    CHECK(v.layout == VL_LAYOUT_SINGLE && v.stage.n_path == 250);
    bool ordered = true;
    for (int i = 0; i < v.stage.n_path; i++)
        ordered &= fabs(v.stage.path[i][0] - 0.01 * (350 + i)) < 1e-12;
    CHECK(ordered);

    /* A jump of more than 1 m in a frame starts a new path. */
    preview_add_position(&p, (double[3]){ 9, 0, 1.5 });
    preview_add_position(&p, (double[3]){ 9.5, 0, 1.5 });
    v = preview_view(&p, VL_LAYOUT_PREVIEW, &cam);
    CHECK(v.stage.n_path == 2 && v.stage.path[0][0] == 9 && v.stage.path[1][0] == 9.5);

    /* The help text when asked for; other rates size the ring. */
    vl_input in = keys("h");
    preview_input(&p, &in);
    v = preview_view(&p, VL_LAYOUT_PREVIEW, &cam);
    CHECK(v.help && strstr(v.help, "zoom"));
    preview_free(&p);
    preview_init(&p, (vl_rational){ 30000, 1001 }, VL_STAGE_VIEW_ORBIT);
    CHECK(p.path_cap == 299);
    preview_free(&p);
}

int main(void)
{
    test_keys_and_mouse();
    test_path();
    return check_result("preview-state");
}
