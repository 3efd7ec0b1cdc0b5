/* libFuzzer target: vl_freed_parse on any bytes. Built and run by
 * run_fuzz.sh; with -DFUZZ_SEEDS it is instead a program that writes a seed
 * corpus of valid messages into the directory it is given. */
#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vl_sample s;
    if (vl_freed_parse(data, size, &s) == VL_FREED_OK)
        fuzz_check_sample(NULL, &s);
    return 0;
}

#else

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const vl_sample seeds[] = {
        { .camera = 1, .pose = { .pos = { 1, -0.5, 1.5 }, .pan_deg = 90, .tilt_deg = -10 },
          .zoom = 0x1234, .focus = 0xfff },
        { .camera = 255, .pose = { .pos = { -131, 131, 0 }, .pan_deg = -180, .roll_deg = 45 },
          .zoom = 0xffffff },
    };
    fuzz_seed_dir = argv[1];
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        uint8_t buf[VL_FREED_D1_SIZE];
        vl_freed_encode(&seeds[i], buf);
        fuzz_write_seed(NULL, buf, sizeof(buf));
    }
    return 0;
}

#endif
