/* Native training loop of depthwidth.training.native: full-batch Adam for K bias-free MLPs, many steps
 * per call, in float32 and float64.
 *
 * Layout (the engine's): the weights p and Adam's moments m and v are flat and layer-major,
 * layer l of every student in turn, student k's (fan_out, fan_in) block at
 * K * (weights of layers < l) + k * fan_out * fan_in.  x is (K, n_in, n) and y (K, n_out, n);
 * losses (steps, K) receives every student's MSE before each step.
 *
 * Built by depthwidth/training/native.py with the machine's C compiler for its own CPU; the vector tanh
 * comes from glibc's libmvec, which the `simd` declarations below let the compiler call.
 */
#include <stddef.h>
#include <stdlib.h>

#define MAX_LAYERS 64
#define SMALL 8 /* layers this narrow get unrolled code */
#define ACT_LINEAR 0
#define ACT_TANH 1
#define ACT_RELU 2
#define BETA1 0.9
#define BETA2 0.999
#define EPS 1e-8

float tanhf(float) __attribute__((simd("notinbranch"), nothrow, const));
double tanh(double) __attribute__((simd("notinbranch"), nothrow, const));
double sqrt(double) __attribute__((nothrow, const));
float sqrtf(float) __attribute__((nothrow, const));
double pow(double, double) __attribute__((nothrow, const));

typedef struct {
    int layers;       /* weight matrices */
    const int *sizes; /* layers + 1 widths, input first */
    int n;            /* points */
    int act;          /* ACT_* */
    int tile;         /* points per tile, a multiple of 16 */
    int widest;       /* the largest width */
} Net;

static int net_init(Net *net, int L, const int *sizes, int n, int act, int tile)
{
    if (L < 1 || L > MAX_LAYERS || n < 1 || tile < 1 || tile % 16) return -1;
    net->layers = L;
    net->sizes = sizes;
    net->n = n;
    net->act = act;
    net->tile = tile;
    net->widest = 0;
    for (int l = 0; l <= L; l++) {
        if (sizes[l] < 1) return -1;
        if (sizes[l] > net->widest) net->widest = sizes[l];
    }
    return 0;
}

/* elements of the tile buffers: every layer's activity, and two backward buffers */
static size_t work_size(const Net *net)
{
    size_t rows = 2 * (size_t)net->widest;
    for (int l = 0; l <= net->layers; l++) rows += net->sizes[l];
    return rows * net->tile;
}

static size_t round_up(size_t bytes) { return (bytes + 63) / 64 * 64; }

#define REAL float
#define SUF f32
#define TANH tanhf
#define SQRT sqrtf
#include "step.h"
#undef REAL
#undef SUF
#undef TANH
#undef SQRT

#define REAL double
#define SUF f64
#define TANH tanh
#define SQRT sqrt
#include "step.h"
#undef REAL
#undef SUF
#undef TANH
#undef SQRT

/* the version of this interface, checked by the loader */
int dw_abi(void) { return 1; }
