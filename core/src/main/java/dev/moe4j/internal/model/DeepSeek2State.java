package dev.moe4j.internal.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A {@link DeepSeek2Model} session: the compressed MLA KV cache and every activation buffer of the forward pass,
 * allocated once off-heap for batches of up to {@code maxBatch} tokens.
 *
 * <p>KV cache: per layer, {@code contextLength} rows of {@code kv_lora_rank + rope} f32 values, the normalised latent
 * {@code c} followed by the rotated shared rope key {@code k_pe} (spec §3.4), plus the latents transposed
 * ({@code kv_lora_rank} rows of {@code contextLength}), which the attention's weighted sum reads (see
 * {@link MlaAttention}). No per-head keys or values are stored.
 */
final class DeepSeek2State implements InferenceState {
    final DeepSeek2Model model;
    final ModelKernels kernels;
    private final Arena arena = Arena.ofShared();
    private final int contextLength;
    private final long allocated;
    private int position;
    private boolean closed;
    Trace trace;

    final int maxBatch;
    final MemorySegment[] cache;   // [layer] → [ctx][r + rope]
    final MemorySegment tokens;    // i32 [B]
    final MemorySegment positions; // i32 [B]
    final MemorySegment x;         // [B][D] residual stream
    final MemorySegment xn;        // [B][D] normalised input of a sub-block
    final MemorySegment tmp;       // [B][D] sub-block output
    final MemorySegment tmp2;      // [B][D] shared-expert output
    final MemorySegment qa;        // [B][r_q] compressed query (empty without q compression)
    final MemorySegment q;         // [B][H][dk] queries: nope | rope per head
    final MemorySegment kvcp;      // [B][r + rope] kv_a_mqa output: latent | rope key
    final MemorySegment qcur;      // [B][H][r + rope] absorbed queries: W_UKᵀ·q_nope | q_pe
    final MemorySegment scores;    // [H][ctx] attention probabilities of one token
    final MemorySegment[] latentT; // [layer] → [r][ctx] transposed latents (the values of the absorbed attention)
    final MemorySegment obar;      // [B][H][r] attention output in latent space
    final MemorySegment attn;      // [B][H][dv] per-head attention output (kqv_out)
    final MemorySegment ffnGate;   // [B][F] dense / shared FFN hidden
    final MemorySegment ffnUp;     // [B][F]
    final MemorySegment logits;    // [V] one row of logits
    final MoeFfn.Scratch moe;      // routed-expert buffers (null for a model without MoE layers)
    final float[] tile;            // transpose tile of MlaAttention
    // per-head views, sliced once so the forward pass does not slice
    final MemorySegment[] qHead;    // q at head h (nope part first)
    final MemorySegment[] qcurHead; // qcur at head h
    final MemorySegment[] obarHead; // obar at head h
    final MemorySegment[] attnHead; // attn at head h
    final MemorySegment qPe;        // q at offset nope (the rope part of head 0)
    final MemorySegment kPe;        // kvcp at offset r

    DeepSeek2State(DeepSeek2Model model, int contextLength, int maxBatch, ModelKernels kernels) {
        this.model = model;
        this.kernels = kernels;
        this.contextLength = contextLength;
        this.maxBatch = maxBatch;
        DeepSeek2Config c = model.cfg;
        int b = maxBatch;
        int h = c.heads();
        int w = c.cacheWidth();
        int r = c.kvLoraRank();
        try {
            cache = new MemorySegment[c.layers()];
            for (int l = 0; l < c.layers(); l++) {
                cache[l] = floats((long) contextLength * w);
            }
            tokens = arena.allocate((long) b * Integer.BYTES, 64);
            positions = arena.allocate((long) b * Integer.BYTES, 64);
            x = floats((long) b * c.embd());
            xn = floats((long) b * c.embd());
            tmp = floats((long) b * c.embd());
            tmp2 = floats((long) b * c.embd());
            qa = floats((long) b * Math.max(1, c.qLoraRank()));
            q = floats((long) b * h * c.headDimK());
            kvcp = floats((long) b * w);
            qcur = floats((long) b * h * w);
            scores = floats((long) h * contextLength);
            latentT = new MemorySegment[c.layers()];
            for (int l = 0; l < c.layers(); l++) {
                latentT[l] = floats((long) r * contextLength);
            }
            obar = floats((long) b * h * r);
            attn = floats((long) b * h * c.headDimV());
            int ffnWidth = Math.max(1, Math.max(c.ffnWidth(), c.expertWidth() * c.expertsShared()));
            ffnGate = floats((long) b * ffnWidth);
            ffnUp = floats((long) b * ffnWidth);
            logits = floats(model.config().vocabSize());
            moe = model.firstMoe() == null ? null : new MoeFfn.Scratch(model.firstMoe(), b, arena);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            kernels.close();
            throw e;
        }
        tile = new float[MlaAttention.TILE * (w + r)];
        qHead = heads(q, h, c.headDimK());
        qcurHead = heads(qcur, h, w);
        obarHead = heads(obar, h, r);
        attnHead = heads(attn, h, c.headDimV());
        qPe = q.asSlice((long) c.nopeDim() * Float.BYTES);
        kPe = kvcp.asSlice((long) r * Float.BYTES);
        long bytes = 0;
        for (MemorySegment s : new MemorySegment[] {tokens, positions, x, xn, tmp, tmp2, qa, q, kvcp, qcur, scores,
                obar, attn, ffnGate, ffnUp, logits}) {
            bytes += s.byteSize();
        }
        for (int l = 0; l < c.layers(); l++) {
            bytes += cache[l].byteSize() + latentT[l].byteSize();
        }
        if (moe != null) {
            bytes += moe.logits.byteSize() + moe.gathered.byteSize() + moe.gate.byteSize() + moe.up.byteSize()
                    + moe.down.byteSize();
        }
        allocated = bytes;
    }

    private MemorySegment floats(long n) {
        return arena.allocate(Math.max(1, n) * Float.BYTES, 64);
    }

    private static MemorySegment[] heads(MemorySegment buf, int heads, int width) {
        MemorySegment[] out = new MemorySegment[heads];
        for (int i = 0; i < heads; i++) {
            out[i] = buf.asSlice((long) i * width * Float.BYTES);
        }
        return out;
    }

    /** Bytes of KV cache one token takes in one layer: {@code (kv_lora_rank + rope + kv_lora_rank) · 4}. */
    long kvBytesPerTokenPerLayer() {
        return (cache[0].byteSize() + latentT[0].byteSize()) / contextLength;
    }

    void advance(int n) {
        position += n;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("inference state is closed");
        }
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public void truncate(int newPosition) {
        checkOpen();
        if (newPosition < 0 || newPosition > position) {
            throw new IllegalArgumentException("cannot truncate to " + newPosition + ": the state holds " + position
                    + " tokens");
        }
        position = newPosition;
    }

    @Override
    public void setObserver(ForwardObserver observer) {
        trace = observer == null ? null : new Trace(observer);
    }

    @Override
    public long allocatedBytes() {
        return allocated;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            kernels.close();
            arena.close();
        }
    }
}
