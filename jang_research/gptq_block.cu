// GPTQ's column loop over one block of columns, for MLX's mx.fast.cuda_kernel (jang_research/gptq.py reads this file).
// One thread owns one row of the block: it quantizes the row's columns in order and pushes each column's error onto the
// row's later columns, W[r, k] -= e * U[c, k] — the work `gptq.feedback_block` does with ~1,000 MLX ops per block.
// Inputs: W (OUT, COLS) fp32, the block's columns error-corrected so far; U (COLS, COLS) fp32, the block of the upper
// factor of H^-1; S (OUT, COLS) fp32, each column's scale; G (OUT, COLS) fp32, each column's bias (AFFINE == 1:
// w = s * q + b, q in [0, QMAX]) or, for AFFINE == 0, the codebook's levels (LEVELS of them, w = s * level[q]) in G[0..].
// Outputs: Q (OUT, COLS) fp32 codes, E (OUT, COLS) fp32 errors (x - x_hat) / U[c, c], as the MLX loop returns them.
// @kernel-body
const int r = blockIdx.x * blockDim.x + threadIdx.x;
if (r >= OUT) return;
const size_t row = (size_t)r * COLS;
float w[COLS];   // the row's block: local memory, per-thread interleaved by the hardware
for (int k = 0; k < COLS; ++k) w[k] = W[row + k];
for (int c = 0; c < COLS; ++c) {
    const float x = w[c], s = S[row + c];
    float q, x_hat;
    if (AFFINE) {
        const float b = G[row + c];
        q = fminf(fmaxf(rintf((x - b) / (s == 0.f ? 1.f : s)), 0.f), (float)QMAX);
        x_hat = s * q + b;
    } else {   // the level whose cell holds x / s: count the midpoints below it, as turboquant.codebook_column does
        const float t = x / (s != 0.f ? s : 1.f);
        int n = 0;
        for (int l = 0; l + 1 < LEVELS; ++l) n += t > (G[l] + G[l + 1]) / 2.f;
        q = (float)n;
        x_hat = s * G[n];
    }
    const float e = (x - x_hat) / U[c * COLS + c];
    Q[row + c] = q;
    E[row + c] = e;
    for (int k = c + 1; k < COLS; ++k) w[k] -= e * U[c * COLS + k];
}
