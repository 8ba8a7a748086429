// TurboQuant's input rotation for decode (mx.fast.cuda_kernel; jang_research/turboquant.py reads this file): for each of K
// sign vectors s_k, xr[p, k] = H_B (s_k * x[p]) blockwise (H_B the orthonormal Hadamard matrix of size B exactly as
// mx.hadamard_transform makes it: Sylvester's for 2^k, kron(H12, H_2^k) for 12 * 2^k), computed in fp32 and rounded once. It replaces the sign flip, the Hadamard transform and
// the reshapes around it (two to four ops) with one call, and with the macros below also the op before it.
// Everything above the line `// @kernel-body` is the kernel's header (helpers); below it is the body MLX wraps into a
// __global__ function with inputs x ((P, N) rows, or (P, 2, N) (gate, up) pairs with JANG_SWIGLU), signs (K, N) fp32 and
// output xr (P, REP, K, N): each row's rotations written REP times (once for each expert a token goes to); constants N
// (features), B (Hadamard block dividing N, up to 8192: a power of two, or 12 times one), M (1, or 12 for a block of 12 * 2^k:
// mx.hadamard_transform's kron(H12, H_2^k)), K (sign vectors), REP, T (the activations' dtype).
// Macros (turboquant.rotate_kernel defines them before the header): JANG_NORM (0/1: RMS-normalise x first, input gamma (N,)
// and JANG_EPS: a decoder block's norm), JANG_SWIGLU (0/1: x holds (gate, up) rows, the vector rotated is silu(gate) * up).
// Grid: one block per (Hadamard block, sign vector) along x, one per row along y; the block's B values sit in shared memory
// for the log2(B) butterfly stages.
// MLX's 12-point Hadamard matrix (mx.hadamard_transform of the identity), row by row: bit j set where entry j is -1
__device__ constexpr unsigned TR_H12[12] = {0x002, 0xaab, 0x3c8, 0x96e, 0xf20, 0x5ba, 0xc8c, 0x6e6, 0x23c, 0xb96, 0x8f0, 0xe5a};
__device__ inline float tr_block_sum(float v, float* scratch) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = (lane < warps) ? scratch[lane] : 0.f;
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;                                  // every thread holds the block's sum
}
// @kernel-body
    static_assert(!(JANG_NORM && JANG_SWIGLU), "a norm before the rotation, or SwiGLU: not both");
    static_assert(M == 1 || M == 12, "blocks of 2^k or 12 * 2^k");
    constexpr int NB = N / B;
    __shared__ float buf[B];
    __shared__ float scratch[32];
    const int blk = blockIdx.x % NB, k = blockIdx.x / NB, p = blockIdx.y, tid = threadIdx.x;
#if JANG_SWIGLU
    const T* gp = x + (size_t)p * 2 * N;      // the row's gate, then its up
    const T* up = gp + N;
#else
    const T* xp = x + (size_t)p * N;
#endif
    float scale = rsqrtf(static_cast<float>(B));   // the orthonormal transform's factor
#if JANG_NORM
    {   // the whole row's mean square: every block of the row reads it (from L2), so no block waits on another
        float ss = 0.f;
        for (int i = tid; i < N; i += blockDim.x) { const float v = static_cast<float>(xp[i]); ss = fmaf(v, v, ss); }
        scale *= rsqrtf(tr_block_sum(ss, scratch) / N + JANG_EPS);
    }
#endif
    const float* sk = signs + (size_t)k * N + (size_t)blk * B;
    for (int i = tid; i < B; i += blockDim.x) {
        const int c = blk * B + i;
#if JANG_SWIGLU
        const float g = static_cast<float>(gp[c]);
        float v = g / (1.f + __expf(-g)) * static_cast<float>(up[c]);
#else
        float v = static_cast<float>(xp[c]);
#endif
#if JANG_NORM
        v *= static_cast<float>(gamma[c]);
#endif
        buf[i] = v * sk[i];
    }
    __syncthreads();
    // Sylvester order: at stride h, pairs (i, i + h) within runs of 2h become (a + b, a - b); with M == 12 only within
    // each run of B / 12 (the H_2^k factor), then the 12-point factor across the runs
    constexpr int PB = B / M;
    for (int h = 1; h < PB; h <<= 1) {
        for (int t = tid; t < B / 2; t += blockDim.x) {
            const int i = (t / h) * 2 * h + (t % h);
            const float a = buf[i], b = buf[i + h];
            buf[i] = a + b;
            buf[i + h] = a - b;
        }
        __syncthreads();
    }
    if constexpr (M == 12) {
        for (int j = tid; j < PB; j += blockDim.x) {
            float v[12];
            #pragma unroll
            for (int a = 0; a < 12; ++a) v[a] = buf[a * PB + j];
            #pragma unroll
            for (int a = 0; a < 12; ++a) {
                float t = 0.f;
                #pragma unroll
                for (int c = 0; c < 12; ++c) t += ((TR_H12[a] >> c) & 1u) ? -v[c] : v[c];
                buf[a * PB + j] = t;
            }
        }
        __syncthreads();
    }
    for (int r = 0; r < REP; ++r) {
        T* out = xr + (((size_t)p * REP + r) * K + k) * N + (size_t)blk * B;
        for (int i = tid; i < B; i += blockDim.x) out[i] = static_cast<T>(buf[i] * scale);
    }
