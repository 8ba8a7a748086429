// The diagonal block of GPTQ's blocked Cholesky factor, for MLX's mx.fast.cuda_kernel (jang_research/gptq.py reads this
// file): L with L·Lᵀ = A + diag(D) and X = L⁻¹, one thread block a matrix of the stack, in fp32 on the device. Without it
// each panel of the blocked factor went to the host and back (a sync, two copies and a float64 LAPACK call), and those
// round trips, not the device's matrix products, were most of the factor's time.
// Inputs: A (stack, B, B) fp32, the panel's diagonal blocks (only the lower triangle is read); D (stack, B) fp32, added to
// each diagonal; P int32 [B]. Outputs: L (stack, B, B) lower, X (stack, B, B) lower, zero above the diagonal. A matrix
// that is not positive definite gives NaN from its failing column on (the caller looks for NaN once, at the end).
// The matrix lives in the output buffers (global memory, cached): __syncthreads makes a block's global writes visible to
// the whole block, and a 256-column block (256 KB) would not fit in shared memory.
// @kernel-body
const int B = P[0];
const size_t at = (size_t)blockIdx.x * B * B;
const float* a = A + at;
const float* d = D + (size_t)blockIdx.x * B;
float* l = L + at;
float* x = X + at;
const int t = threadIdx.x, T = blockDim.x;
__shared__ float pivot;
for (int e = t; e < B * B; e += T) {
    const int i = e / B, j = e % B;
    l[e] = i > j ? a[e] : (i == j ? a[e] + d[i] : 0.f);
    x[e] = 0.f;
}
__syncthreads();
// right-looking, a column at a time: the pivot, the column below it, then the trailing lower triangle
for (int j = 0; j < B; ++j) {
    if (t == 0) {
        const float v = l[(size_t)j * B + j];
        pivot = v > 0.f ? sqrtf(v) : NAN;   // NaN also when v is NaN: it spreads to every later column
        l[(size_t)j * B + j] = pivot;
    }
    __syncthreads();
    const float p = pivot;
    for (int i = j + 1 + t; i < B; i += T) l[(size_t)i * B + j] /= p;
    __syncthreads();
    const int n = B - j - 1;
    for (int e = t; e < n * n; e += T) {
        const int i = j + 1 + e / n, k = j + 1 + e % n;
        if (k <= i) l[(size_t)i * B + k] -= l[(size_t)i * B + j] * l[(size_t)k * B + j];
    }
    __syncthreads();
}
// X = L⁻¹ by rows: X[i, c] = (δ_ic - Σ_{c<=k<i} L[i, k] X[k, c]) / L[i, i], every c <= i of row i at once
for (int i = 0; i < B; ++i) {
    const float lii = l[(size_t)i * B + i];
    for (int c = t; c <= i; c += T) {
        float s = c == i ? 1.f : 0.f;
        for (int k = c; k < i; ++k) s -= l[(size_t)i * B + k] * x[(size_t)k * B + c];
        x[(size_t)i * B + c] = s / lii;
    }
    __syncthreads();
}
