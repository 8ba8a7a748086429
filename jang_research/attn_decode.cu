// One decode step of a llama-style attention (mx.fast.cuda_kernel; jang_research/turboquant.py reads this file): for one new
// token, its query and key RoPE'd at position pos (Qwen3: each head RMS-normed first), attention over the pos keys already in
// the cache plus the new one, and the new key and value handed back for the caller to write into the cache. It replaces the
// ~14 ops of mlx-lm's path (reshapes, transposes, two RoPEs, the cache's update and slices, attention) with one.
// Everything above the line `// @kernel-body` is the kernel's header (helpers); below it is the body MLX wraps into a
// __global__ function with inputs q, k, v (the same merged q/k/v product three times, or three products), keys, values (the
// KV cache, (B, NKV, S, D) with S slots), meta (int32: pos, S), freqs (fp32: D / 2 RoPE angles per position) and outputs out
// (B, 1, NQ * D), knew, vnew (B, NKV, 1, D); constants NQ, NKV, D, QO, KO, VO (offsets of q, k, v in their rows), QRS, KRS,
// VRS (row lengths), W (warps a block), T (the activations' dtype).
// Macros (turboquant.attn_decode_kernel defines them before the header): JANG_ATTN_SCALE (float), JANG_QKNORM (0/1; with it
// inputs q_gamma, k_gamma (D,) and JANG_QK_EPS), JANG_SPLIT (0/1; with it outputs part (B, NQ, splits, D + 2) fp32 and count
// (B, NQ) int32, both zeroed by the launch).
// Grid: one block per (query head, batch row); with JANG_SPLIT, `splits` blocks per (query head, row), each over one run of
// the cached keys, the last of them to finish merging their partial softmax sums (one call, no second kernel). Lane l holds the head's dims [l * E, (l + 1) * E), E = D / 32, so a warp reads
// one key row in one coalesced sweep, and the RoPE partner of dim d (d + D / 2) sits in lane l ^ 16.
#define AD_NEG_INF __int_as_float(0xff800000)   // -infinity without math.h (NVRTC)
template <int E, typename T> __device__ inline void ad_load(const T* p, float* o) {
    constexpr int BYTES = E * (int)sizeof(T);
    if constexpr (BYTES % 16 == 0) {
        constexpr int PER = 16 / (int)sizeof(T);
        #pragma unroll
        for (int k = 0; k < BYTES / 16; ++k) {
            uint4 v = reinterpret_cast<const uint4*>(p)[k];
            const T* t = reinterpret_cast<const T*>(&v);
            #pragma unroll
            for (int j = 0; j < PER; ++j) o[k * PER + j] = static_cast<float>(t[j]);
        }
    } else if constexpr (BYTES == 8) {
        uint2 v = *reinterpret_cast<const uint2*>(p);
        const T* t = reinterpret_cast<const T*>(&v);
        #pragma unroll
        for (int j = 0; j < E; ++j) o[j] = static_cast<float>(t[j]);
    } else if constexpr (BYTES == 4) {
        uint32_t v = *reinterpret_cast<const uint32_t*>(p);
        const T* t = reinterpret_cast<const T*>(&v);
        #pragma unroll
        for (int j = 0; j < E; ++j) o[j] = static_cast<float>(t[j]);
    } else {
        #pragma unroll
        for (int j = 0; j < E; ++j) o[j] = static_cast<float>(p[j]);
    }
}
__device__ inline float ad_warp_sum(float s) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    return s;
}
// the value as the activations' dtype holds it: mlx-lm's path rounds the normed and the RoPE'd q and k to it
template <typename T> __device__ inline float ad_round(float v) { return static_cast<float>(static_cast<T>(v)); }
// RoPE (not traditional: dim d pairs with d + D / 2) at position pos, each lane's E dims, rounded to T
template <int E, typename T> __device__ inline void ad_rope(float* v, const float* freqs, float pos, int lane) {
    const bool low = lane < 16;                // lanes 0-15 hold the first half of the dims
    #pragma unroll
    for (int e = 0; e < E; ++e) {
        float other = __shfl_xor_sync(0xffffffffu, v[e], 16);
        // the angle as a float product (as MLX makes it), its sine and cosine in double: exact for any position, whether or
        // not the kernel is compiled with fast math (whose sinf loses digits for large arguments)
        double s, c;
        sincos(static_cast<double>(pos * freqs[(lane & 15) * E + e]), &s, &c);
        v[e] = low ? v[e] * (float)c - other * (float)s : v[e] * (float)c + other * (float)s;
    }
    #pragma unroll
    for (int e = 0; e < E; ++e) v[e] = ad_round<T>(v[e]);
}
// RMS norm over the head's D dims (the warp holds them), times gamma, rounded to T as MLX's RMSNorm outputs
template <int E, int D, typename T> __device__ inline void ad_norm(float* v, const T* gamma, int lane, float eps) {
    float ss = 0.f;
    #pragma unroll
    for (int e = 0; e < E; ++e) ss = fmaf(v[e], v[e], ss);
    float r = rsqrtf(ad_warp_sum(ss) / D + eps);
    float g[E];
    ad_load<E>(gamma + lane * E, g);
    #pragma unroll
    for (int e = 0; e < E; ++e) v[e] = ad_round<T>(v[e] * r * g[e]);
}
// @kernel-body
    constexpr int E = D / 32;
    constexpr int GROUP = NQ / NKV;
    constexpr int KU = 4;                      // keys a warp loads before it reduces any: loads in flight
    __shared__ float s_m[W], s_l[W];
    __shared__ float s_acc[W][D];
    const int h = blockIdx.x % NQ, split = blockIdx.x / NQ, b = blockIdx.y, g = h / GROUP;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int pos = meta[0], S = meta[1];
#if JANG_SPLIT
    // each split takes a run of whole strides of W * KU keys; the first split also takes the new token
    const int splits = gridDim.x / NQ;
    const int chunk = ((pos + splits - 1) / splits + W * KU - 1) / (W * KU) * (W * KU);
    const int lo = min(pos, split * chunk), hi = min(pos, lo + chunk);
#else
    const int lo = 0, hi = pos;
#endif
    // every warp makes the query itself (a few loads and shuffles) rather than wait on one that shares it
    float qv[E], kn[E], vn[E];
    ad_load<E>(q + (size_t)b * QRS + QO + h * D + lane * E, qv);
    ad_load<E>(k + (size_t)b * KRS + KO + g * D + lane * E, kn);
    ad_load<E>(v + (size_t)b * VRS + VO + g * D + lane * E, vn);
#if JANG_QKNORM
    ad_norm<E, D, T>(qv, q_gamma, lane, JANG_QK_EPS);
    ad_norm<E, D, T>(kn, k_gamma, lane, JANG_QK_EPS);
#endif
    ad_rope<E, T>(qv, freqs, static_cast<float>(pos), lane);
    ad_rope<E, T>(kn, freqs, static_cast<float>(pos), lane);
    #pragma unroll
    for (int e = 0; e < E; ++e) { qv[e] *= JANG_ATTN_SCALE; vn[e] = ad_round<T>(vn[e]); }
    // online softmax over this warp's keys: j = warp * KU + i * W * KU + u
    float m = AD_NEG_INF, l = 0.f, acc[E];
    #pragma unroll
    for (int e = 0; e < E; ++e) acc[e] = 0.f;
    const T* kc = keys + ((size_t)b * NKV + g) * S * D + lane * E;
    const T* vc = values + ((size_t)b * NKV + g) * S * D + lane * E;
    for (int j0 = lo + warp * KU; j0 < hi; j0 += W * KU) {
        float kk[KU][E], vv[KU][E], s[KU];
        #pragma unroll
        for (int u = 0; u < KU; ++u) {
            if (j0 + u < hi) { ad_load<E>(kc + (size_t)(j0 + u) * D, kk[u]); ad_load<E>(vc + (size_t)(j0 + u) * D, vv[u]); }
        }
        float mn = m;
        #pragma unroll
        for (int u = 0; u < KU; ++u) {
            float d = 0.f;
            if (j0 + u < hi) {
                #pragma unroll
                for (int e = 0; e < E; ++e) d = fmaf(qv[e], kk[u][e], d);
            }
            s[u] = ad_warp_sum(d);
            if (j0 + u >= hi) s[u] = AD_NEG_INF;
            mn = fmaxf(mn, s[u]);
        }
        const float corr = __expf(m - mn);     // m = -inf at first: 0
        l *= corr;
        #pragma unroll
        for (int e = 0; e < E; ++e) acc[e] *= corr;
        #pragma unroll
        for (int u = 0; u < KU; ++u) {
            if (j0 + u < hi) {
                const float p = __expf(s[u] - mn);
                l += p;
                #pragma unroll
                for (int e = 0; e < E; ++e) acc[e] = fmaf(p, vv[u][e], acc[e]);
            }
        }
        m = mn;
    }
    if (warp == 0 && split == 0) {             // the new token attends to itself
        float d = 0.f;
        #pragma unroll
        for (int e = 0; e < E; ++e) d = fmaf(qv[e], kn[e], d);
        const float sn = ad_warp_sum(d), mn = fmaxf(m, sn), corr = __expf(m - mn), p = __expf(sn - mn);
        l = l * corr + p;
        #pragma unroll
        for (int e = 0; e < E; ++e) acc[e] = fmaf(p, vn[e], acc[e] * corr);
        m = mn;
    }
    if (lane == 0) { s_m[warp] = m; s_l[warp] = l; }
    #pragma unroll
    for (int e = 0; e < E; ++e) s_acc[warp][lane * E + e] = acc[e];
    __syncthreads();
    if (warp != 0) return;
    float M = AD_NEG_INF;
    #pragma unroll
    for (int w = 0; w < W; ++w) M = fmaxf(M, s_m[w]);
    float L = 0.f, o[E];
    #pragma unroll
    for (int e = 0; e < E; ++e) o[e] = 0.f;
    #pragma unroll
    for (int w = 0; w < W; ++w) {
        const float f = (s_m[w] == AD_NEG_INF) ? 0.f : __expf(s_m[w] - M);   // a warp that had no keys
        L = fmaf(s_l[w], f, L);
        #pragma unroll
        for (int e = 0; e < E; ++e) o[e] = fmaf(s_acc[w][lane * E + e], f, o[e]);
    }
    if (split == 0 && h % GROUP == 0) {        // one block of each KV group hands back its new key and value
        #pragma unroll
        for (int e = 0; e < E; ++e) {
            knew[((size_t)b * NKV + g) * D + lane * E + e] = static_cast<T>(kn[e]);
            vnew[((size_t)b * NKV + g) * D + lane * E + e] = static_cast<T>(vn[e]);
        }
    }
#if JANG_SPLIT
    // this split's unnormalised sums and (max, sum of weights) go out; the last split of the head to count itself in merges
    // them all. Its loads bypass L1 (__ldcg): the other blocks' stores are in L2, made visible by their fences
    float* mine = part + (((size_t)b * NQ + h) * splits + split) * (D + 2);
    #pragma unroll
    for (int e = 0; e < E; ++e) mine[lane * E + e] = o[e];
    if (lane == 0) { mine[D] = M; mine[D + 1] = L; }
    __threadfence();
    __syncwarp();
    int ticket = 0;
    if (lane == 0) ticket = atomicAdd(count + ((size_t)b * NQ + h), 1);
    if (__shfl_sync(0xffffffffu, ticket, 0) != splits - 1) return;
    const float* all = part + ((size_t)b * NQ + h) * splits * (D + 2);
    M = AD_NEG_INF;
    for (int t = 0; t < splits; ++t) M = fmaxf(M, __ldcg(all + t * (D + 2) + D));
    L = 0.f;
    #pragma unroll
    for (int e = 0; e < E; ++e) o[e] = 0.f;
    for (int t = 0; t < splits; ++t) {
        const float mt = __ldcg(all + t * (D + 2) + D);
        if (mt == AD_NEG_INF) continue;        // a split with no keys
        const float f = __expf(mt - M);
        L = fmaf(__ldcg(all + t * (D + 2) + D + 1), f, L);
        #pragma unroll
        for (int e = 0; e < E; ++e) o[e] = fmaf(__ldcg(all + t * (D + 2) + lane * E + e), f, o[e]);
    }
#endif
    const float inv = 1.f / L;
    #pragma unroll
    for (int e = 0; e < E; ++e) out[((size_t)b * NQ + h) * D + lane * E + e] = static_cast<T>(o[e] * inv);
