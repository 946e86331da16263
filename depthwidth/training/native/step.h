/* Full-batch Adam for K bias-free MLPs, one precision: included by train.c once per REAL.
 *
 * Feature-major: a layer's activity is (width, points), so every inner loop runs over points
 * and vectorises.  Each step walks the points in tiles small enough that a tile's activations
 * and its backward pass stay in the L1 cache, accumulating the gradient, then updates the
 * weights as torch.optim.Adam does.  The students are independent and trained one after the
 * other, so a student's numbers do not depend on the batch it is in.
 */

#define FN(name) CAT(name, SUF)
#define CAT(a, b) CAT_(a, b)
#define CAT_(a, b) a##_##b

static inline void FN(activate)(REAL *z, int count, int act)
{
    if (act == ACT_TANH)
        for (int t = 0; t < count; t++) z[t] = TANH(z[t]);
    else if (act == ACT_RELU)
        for (int t = 0; t < count; t++) z[t] = z[t] > 0 ? z[t] : 0;
}

/* phi'(z) from a = phi(z), multiplied into d */
static inline void FN(slope_mul)(REAL *restrict d, const REAL *restrict a, int count, int act)
{
    if (act == ACT_TANH)
        for (int t = 0; t < count; t++) d[t] *= 1 - a[t] * a[t];
    else if (act == ACT_RELU)
        for (int t = 0; t < count; t++) d[t] = a[t] > 0 ? d[t] : 0;
}

/* out (fo, T) = phi(w (fo, fi) @ h (fi, T)), row by row so that each row is activated while in
 * L1; rows are S apart */
static inline void FN(forward)(REAL *restrict out, const REAL *restrict w, const REAL *restrict h, int fo, int fi,
                               int T, int S, int act)
{
    for (int o = 0; o < fo; o++) {
        REAL *restrict z = out + (size_t)o * S;
        const REAL *restrict wo = w + (size_t)o * fi;
        for (int t = 0; t < T; t++) z[t] = wo[0] * h[t];
        for (int i = 1; i < fi; i++) {
            const REAL wi = wo[i];
            const REAL *restrict hi = h + (size_t)i * S;
            for (int t = 0; t < T; t++) z[t] += wi * hi[t];
        }
        FN(activate)(z, T, act);
    }
}

/* g (fo, fi) += d (fo, T) @ h (fi, T)^T, four rows of h per sweep over d's row */
static inline void FN(grad_only)(REAL *restrict g, const REAL *restrict d, const REAL *restrict h, int fo, int fi,
                                 int T, int S)
{
    for (int o = 0; o < fo; o++) {
        const REAL *restrict dk = d + (size_t)o * S;
        REAL *restrict go = g + (size_t)o * fi;
        int i = 0;
        for (; i + 4 <= fi; i += 4) {
            const REAL *restrict h0 = h + (size_t)i * S, *restrict h1 = h0 + S, *restrict h2 = h1 + S,
                                 *restrict h3 = h2 + S;
            REAL a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int t = 0; t < T; t++) {
                a0 += dk[t] * h0[t];
                a1 += dk[t] * h1[t];
                a2 += dk[t] * h2[t];
                a3 += dk[t] * h3[t];
            }
            go[i] += a0;
            go[i + 1] += a1;
            go[i + 2] += a2;
            go[i + 3] += a3;
        }
        for (; i < fi; i++) {
            const REAL *restrict hi = h + (size_t)i * S;
            REAL acc = 0;
            for (int t = 0; t < T; t++) acc += dk[t] * hi[t];
            go[i] += acc;
        }
    }
}

/* g (fo, fi) += d @ h^T and dn (fi, T) = (w^T @ d) * phi'(h), one sweep per row of h: each
 * row of d is read once for both */
static inline void FN(backward)(REAL *restrict g, REAL *restrict dn, const REAL *restrict w, const REAL *restrict d,
                                const REAL *restrict h, int fo, int fi, int T, int S, int act)
{
    for (int i = 0; i < fi; i++) {
        REAL *restrict z = dn + (size_t)i * S;
        const REAL *restrict hi = h + (size_t)i * S;
        for (int o = 0; o < fo; o++) {
            const REAL *restrict dk = d + (size_t)o * S;
            const REAL wo = w[(size_t)o * fi + i];
            REAL acc = 0;
            if (o == 0)
                for (int t = 0; t < T; t++) {
                    acc += dk[t] * hi[t];
                    z[t] = wo * dk[t];
                }
            else
                for (int t = 0; t < T; t++) {
                    acc += dk[t] * hi[t];
                    z[t] += wo * dk[t];
                }
            g[(size_t)o * fi + i] += acc;
        }
        FN(slope_mul)(z, hi, T, act);
    }
}

/* The same for a layer of at most SMALL inputs (forward) or outputs (backward), called with the
 * width as a constant (see the dispatch below): the loop over the narrow side then unrolls
 * inside the loop over points, so a row of activity is written once instead of once per input,
 * and the gradient's sums run side by side. The deep student's layers are all this kind. */
static inline __attribute__((always_inline)) void FN(forward_small)(REAL *restrict out, const REAL *restrict w,
                                                                    const REAL *restrict h, int fo, const int fi,
                                                                    int T, int S, int act)
{
    for (int o = 0; o < fo; o++) {
        REAL *restrict z = out + (size_t)o * S;
        const REAL *restrict wo = w + (size_t)o * fi;
        for (int t = 0; t < T; t++) {
            REAL sum = 0;
            for (int i = 0; i < fi; i++) sum += wo[i] * h[(size_t)i * S + t];
            z[t] = sum;
        }
        FN(activate)(z, T, act);
    }
}

static inline __attribute__((always_inline)) void FN(backward_small)(REAL *restrict g, REAL *restrict dn,
                                                                     const REAL *restrict w, const REAL *restrict d,
                                                                     const REAL *restrict h, const int fo, int fi,
                                                                     int T, int S, int act)
{
    for (int i = 0; i < fi; i++) {
        REAL *restrict z = dn + (size_t)i * S;
        const REAL *restrict hi = h + (size_t)i * S;
        REAL acc[SMALL] = {0};
        for (int t = 0; t < T; t++) {
            REAL sum = 0;
            for (int o = 0; o < fo; o++) {
                const REAL dk = d[(size_t)o * S + t];
                acc[o] += dk * hi[t];
                sum += w[(size_t)o * fi + i] * dk;
            }
            z[t] = sum;
        }
        for (int o = 0; o < fo; o++) g[(size_t)o * fi + i] += acc[o];
        FN(slope_mul)(z, hi, T, act);
    }
}

#define SMALL_CASES(CALL) CALL(1) CALL(2) CALL(3) CALL(4) CALL(5) CALL(6) CALL(7) CALL(8)

static void FN(layer_forward)(REAL *out, const REAL *w, const REAL *h, int fo, int fi, int T, int S, int act)
{
    switch (fi) {
#define CASE(k)                                                                                                       \
    case k:                                                                                                           \
        FN(forward_small)(out, w, h, fo, k, T, S, act);                                                               \
        return;
        SMALL_CASES(CASE)
#undef CASE
    }
    FN(forward)(out, w, h, fo, fi, T, S, act);
}

static void FN(layer_backward)(REAL *g, REAL *dn, const REAL *w, const REAL *d, const REAL *h, int fo, int fi, int T,
                               int S, int act)
{
    switch (fo) {
#define CASE(k)                                                                                                       \
    case k:                                                                                                           \
        FN(backward_small)(g, dn, w, d, h, k, fi, T, S, act);                                                         \
        return;
        SMALL_CASES(CASE)
#undef CASE
    }
    FN(backward)(g, dn, w, d, h, fo, fi, T, S, act);
}

/* One student's MSE over all points, its gradient written to g[l] (zeroed here).
 * x (n_in, n) and y (n_out, n); work holds the tile buffers (see train.c's work_size). */
static double FN(loss_grad)(const Net *net, REAL *const *w, REAL *const *g, const REAL *x, const REAL *y, REAL *work)
{
    const int L = net->layers, S = net->tile, n = net->n;
    const int *sz = net->sizes;
    REAL *h[MAX_LAYERS + 1];
    size_t at = 0;
    for (int l = 0; l <= L; l++) {
        h[l] = work + at; /* h[L] holds the output error */
        at += (size_t)sz[l] * S;
    }
    REAL *d = work + at, *dn = d + (size_t)net->widest * S;
    for (int l = 0; l < L; l++)
        for (size_t j = 0; j < (size_t)sz[l + 1] * sz[l]; j++) g[l][j] = 0;
    const REAL scale = (REAL)2 / ((REAL)sz[L] * n);
    double loss = 0;
    for (int s = 0; s < n; s += S) {
        const int T = n - s < S ? n - s : S;
        for (int i = 0; i < sz[0]; i++)
            for (int t = 0; t < T; t++) h[0][(size_t)i * S + t] = x[(size_t)i * n + s + t];
        for (int l = 0; l < L; l++)
            FN(layer_forward)(h[l + 1], w[l], h[l], sz[l + 1], sz[l], T, S, l < L - 1 ? net->act : ACT_LINEAR);
        for (int o = 0; o < sz[L]; o++) {
            REAL *restrict e = h[L] + (size_t)o * S, *restrict dk = d + (size_t)o * S;
            const REAL *restrict yo = y + (size_t)o * n + s;
            REAL part = 0;
            for (int t = 0; t < T; t++) {
                e[t] -= yo[t];
                part += e[t] * e[t];
                dk[t] = e[t] * scale;
            }
            loss += part;
        }
        for (int l = L - 1; l > 0; l--) {
            FN(layer_backward)(g[l], dn, w[l], d, h[l], sz[l + 1], sz[l], T, S, net->act);
            REAL *swap = d;
            d = dn;
            dn = swap;
        }
        FN(grad_only)(g[0], d, h[0], sz[1], sz[0], T, S);
    }
    return loss / ((double)sz[L] * n);
}

/* torch.optim.Adam's update of one student's weights (count of them), step t of the phase */
static void FN(adam)(REAL *restrict p, REAL *restrict m, REAL *restrict v, const REAL *restrict g, size_t count,
                     long long t, double lr)
{
    const REAL step_size = (REAL)(lr / (1 - pow(BETA1, (double)t)));
    const REAL bc2_sqrt = (REAL)sqrt(1 - pow(BETA2, (double)t));
    const REAL w1 = (REAL)(1 - BETA1), b2 = (REAL)BETA2, w2 = (REAL)(1 - BETA2), eps = (REAL)EPS;
    for (size_t j = 0; j < count; j++) {
        m[j] += w1 * (g[j] - m[j]);
        v[j] = v[j] * b2 + w2 * g[j] * g[j];
        const REAL denom = SQRT(v[j]) / bc2_sqrt + eps;
        p[j] -= m[j] / denom * step_size;
    }
}

/* `steps` Adam steps for each of K students; see train.c for the layout. Returns 0, or -1 if
 * out of memory. */
int FN(dw_train)(int K, int L, const int *sizes, int n, int act, int tile, REAL *p, REAL *m, REAL *v, const REAL *x,
                 const REAL *y, long long t0, int steps, double lr, REAL *losses)
{
    Net net;
    if (net_init(&net, L, sizes, n, act, tile)) return -2;
    size_t per = 0, off[MAX_LAYERS];
    for (int l = 0; l < L; l++) {
        off[l] = (size_t)K * per;
        per += (size_t)sizes[l + 1] * sizes[l];
    }
    REAL *grad = aligned_alloc(64, round_up(per * sizeof(REAL)));
    REAL *work = aligned_alloc(64, round_up(work_size(&net) * sizeof(REAL)));
    if (!grad || !work) {
        free(grad);
        free(work);
        return -1;
    }
    for (int k = 0; k < K; k++) {
        REAL *w[MAX_LAYERS], *g[MAX_LAYERS], *mk[MAX_LAYERS], *vk[MAX_LAYERS];
        size_t goff = 0;
        for (int l = 0; l < L; l++) {
            const size_t count = (size_t)sizes[l + 1] * sizes[l], at = off[l] + (size_t)k * count;
            w[l] = p + at;
            mk[l] = m + at;
            vk[l] = v + at;
            g[l] = grad + goff;
            goff += count;
        }
        const REAL *xk = x + (size_t)k * sizes[0] * n, *yk = y + (size_t)k * sizes[L] * n;
        for (int s = 0; s < steps; s++) {
            losses[(size_t)s * K + k] = (REAL)FN(loss_grad)(&net, w, g, xk, yk, work);
            for (int l = 0; l < L; l++)
                FN(adam)(w[l], mk[l], vk[l], g[l], (size_t)sizes[l + 1] * sizes[l], t0 + s + 1, lr);
        }
    }
    free(grad);
    free(work);
    return 0;
}

#undef FN
