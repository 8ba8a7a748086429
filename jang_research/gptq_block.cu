// GPTQ's column loop over one block of columns, for MLX's mx.fast.cuda_kernel (jang_research/gptq.py reads this file):
// each row's columns are quantized in order and each column's error is pushed onto the row's later columns,
// W[r, k] -= e * U[c, k] — the work `gptq.feedback_block` does with ~1,000 MLX ops per block.
// Inputs: W (out, cols) fp32, the block's columns error-corrected so far; U (cols, cols) fp32 (or one a stacked expert), the block of the upper
// factor of H^-1; S (out, cols) fp32, each column's scale; G (out, cols) fp32, each column's bias (AFFINE == 1:
// w = s * q + b, q in [0, qmax]) or, for AFFINE == 0, the codebook's levels (LEVELS of them, w = s * level[q]) in G[0..];
// P int32 [out, cols, qmax, rows a U serves]. Stacked experts come as their rows one after another and U as one (cols, cols)
// block an expert: row r uses U's block r / P[3]. Sizes and qmax arrive at run time, so that one compiled kernel serves every tensor shape and
// bit width (as template values each new one was another NVRTC compile); cols <= MAXCOLS, the registers each row's block gets.
// Outputs: Q (out, cols) fp32 codes, E (out, cols) fp32 errors (x - x_hat) / U[c, c], as the MLX loop returns them.
// WARP == 1: a warp owns a row; lane l keeps the row's columns l, l + 32, ... in registers, takes column c's value from
// the lane holding it, and updates its own later columns: the reads of W and U are coalesced and a 4096-row tensor
// gives the GPU 131,072 threads. WARP == 0: a thread owns a row (the first version; 4,096 threads for 4,096 rows).

// The code and dequantized value of x, whose scale (and affine bias) sit at S[at] (G[at]): the same arithmetic in both layouts.
__device__ __forceinline__ void jang_gptq_code(float x, size_t at, const float* S, const float* G,
                                               int affine, int qmax, int levels, float& q, float& x_hat) {
    const float s = S[at];
    if (affine) {
        const float b = G[at];
        q = fminf(fmaxf(rintf((x - b) / (s == 0.f ? 1.f : s)), 0.f), (float)qmax);
        x_hat = s * q + b;
    } else {   // the level whose cell holds x / s: count the midpoints below it, as turboquant.codebook_column does
        const float t = x / (s != 0.f ? s : 1.f);
        int n = 0;
        for (int l = 0; l + 1 < levels; ++l) n += t > (G[l] + G[l + 1]) / 2.f;
        q = (float)n;
        x_hat = s * G[n];
    }
}
// @kernel-body
const int OUT = P[0], COLS = P[1], QMAX = P[2], ROWS_PER_U = P[3];
if (WARP) {
    constexpr int PER = MAXCOLS / 32;
    const int lane = threadIdx.x & 31;
    const int r = (int)((blockIdx.x * blockDim.x + threadIdx.x) >> 5);
    if (r >= OUT) return;   // a whole warp: its lanes share r
    const size_t row = (size_t)r * COLS;
    const float* Ue = U + (size_t)(r / ROWS_PER_U) * COLS * COLS;   // this row's expert's block of U
    float w[PER], qs[PER], es[PER];
    #pragma unroll
    for (int j = 0; j < PER; ++j) {
        const int k = j * 32 + lane;
        w[j] = k < COLS ? W[row + k] : 0.f;
        qs[j] = 0.f;
        es[j] = 0.f;
    }
    for (int c = 0; c < COLS; ++c) {
        const int slot = c >> 5;
        float held = 0.f;
        #pragma unroll
        for (int j = 0; j < PER; ++j) if (j == slot) held = w[j];   // unrolled: w stays in registers
        const float x = __shfl_sync(0xffffffffu, held, c & 31);
        float q, x_hat;
        jang_gptq_code(x, row + c, S, G, AFFINE, QMAX, LEVELS, q, x_hat);   // every lane alike: no second shuffle
        const float e = (x - x_hat) / Ue[c * COLS + c];
        #pragma unroll
        for (int j = 0; j < PER; ++j) {
            const int k = j * 32 + lane;
            if (k == c) {
                qs[j] = q;
                es[j] = e;
            }
            if (k > c && k < COLS) w[j] -= e * Ue[c * COLS + k];
        }
    }
    #pragma unroll
    for (int j = 0; j < PER; ++j) {
        const int k = j * 32 + lane;
        if (k < COLS) {
            Q[row + k] = qs[j];
            E[row + k] = es[j];
        }
    }
} else {
    const int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= OUT) return;
    const size_t row = (size_t)r * COLS;
    const float* Ue = U + (size_t)(r / ROWS_PER_U) * COLS * COLS;
    float w[MAXCOLS];   // the row's block: local memory, per-thread interleaved by the hardware
    for (int k = 0; k < COLS; ++k) w[k] = W[row + k];
    for (int c = 0; c < COLS; ++c) {
        float q, x_hat;
        jang_gptq_code(w[c], row + c, S, G, AFFINE, QMAX, LEVELS, q, x_hat);
        const float e = (w[c] - x_hat) / Ue[c * COLS + c];
        Q[row + c] = q;
        E[row + c] = e;
        for (int k = c + 1; k < COLS; ++k) w[k] -= e * Ue[c * COLS + k];
    }
}
