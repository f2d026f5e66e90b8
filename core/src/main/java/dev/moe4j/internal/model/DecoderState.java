package dev.moe4j.internal.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A {@link DecoderModel} session: the KV cache and every activation buffer of the forward pass, allocated once
 * off-heap for batches of up to {@code maxBatch} tokens.
 *
 * <p>KV cache, per layer: the rotated keys as {@code contextLength} rows of {@code H_kv · dk} floats, and the values
 * transposed, {@code H_kv · dv} rows of {@code contextLength} floats (see {@link GqaAttention}).
 */
final class DecoderState implements InferenceState {
    final DecoderModel model;
    final ModelKernels kernels;
    private final Arena arena = Arena.ofShared();
    private final int contextLength;
    private final long allocated;
    private int position;
    private boolean closed;
    Trace trace;

    final int maxBatch;
    final MemorySegment[] keys;      // [layer] → [ctx][Hkv·dk]
    final MemorySegment[] values;    // [layer] → [Hkv·dv][ctx]
    final MemorySegment tokens;      // i32 [B]
    final MemorySegment positions;   // i32 [B]
    final MemorySegment x;           // [B][D] residual stream
    final MemorySegment xn;          // [B][D] normalised input of a sub-block
    final MemorySegment tmp;         // [B][D] sub-block output
    final MemorySegment tmp2;        // [B][D] shared-expert output
    final MemorySegment q;           // [B][H·dk]
    final MemorySegment k;           // [B][Hkv·dk]
    final MemorySegment v;           // [B][Hkv·dv]
    final MemorySegment scores;      // [H/Hkv][ctx] attention probabilities of one head group
    final MemorySegment attn;        // [B][H·dv] attention output before W_o
    final MemorySegment ffnGate;     // [B][F] dense / shared FFN hidden
    final MemorySegment ffnUp;       // [B][F]
    final MemorySegment shexpGate;   // [B] shared-expert gate logits
    final MemorySegment logits;      // [V] one row of logits
    final MoeFfn.Scratch moe;        // routed-expert buffers (null for a dense model)
    final float[] vHeap;             // [B·Hkv·dv] the new values, for the transposed write
    final float[] ropeScratch;
    // views sliced once so that decoding one token slices nothing
    final MemorySegment[][] keyGroup;   // [layer][g]: keys of KV head g (rows H_kv·dk apart)
    final MemorySegment[][] valueGroup; // [layer][g]: the dv transposed value rows of KV head g
    final MemorySegment[] qGroup;       // q of token 0 at the first query head of group g
    final MemorySegment[] attnGroup;    // attn of token 0 at the first query head of group g

    DecoderState(DecoderModel model, int contextLength, int maxBatch, ModelKernels kernels) {
        this.model = model;
        this.kernels = kernels;
        this.contextLength = contextLength;
        this.maxBatch = maxBatch;
        DecoderConfig c = model.cfg;
        int b = maxBatch;
        int hkv = c.headsKv();
        try {
            keys = new MemorySegment[c.layers()];
            values = new MemorySegment[c.layers()];
            for (int l = 0; l < c.layers(); l++) {
                keys[l] = floats((long) contextLength * c.kvWidthK());
                values[l] = floats((long) contextLength * c.kvWidthV());
            }
            tokens = arena.allocate((long) b * Integer.BYTES, 64);
            positions = arena.allocate((long) b * Integer.BYTES, 64);
            x = floats((long) b * c.embd());
            xn = floats((long) b * c.embd());
            tmp = floats((long) b * c.embd());
            tmp2 = floats((long) b * c.embd());
            q = floats((long) b * c.heads() * c.headDimK());
            k = floats((long) b * c.kvWidthK());
            v = floats((long) b * c.kvWidthV());
            scores = floats((long) c.groupSize() * contextLength);
            attn = floats((long) b * c.heads() * c.headDimV());
            ffnGate = floats((long) b * model.ffnScratchWidth());
            ffnUp = floats((long) b * model.ffnScratchWidth());
            shexpGate = floats(b);
            logits = floats(model.config().vocabSize());
            moe = model.firstMoe() == null ? null : new MoeFfn.Scratch(model.firstMoe(), b, arena);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            kernels.close();
            throw e;
        }
        vHeap = new float[b * c.kvWidthV()];
        ropeScratch = new float[model.rope().scratchSize()];
        keyGroup = new MemorySegment[c.layers()][hkv];
        valueGroup = new MemorySegment[c.layers()][hkv];
        for (int l = 0; l < c.layers(); l++) {
            for (int g = 0; g < hkv; g++) {
                keyGroup[l][g] = keys[l].asSlice((long) g * c.headDimK() * Float.BYTES);
                valueGroup[l][g] = values[l].asSlice((long) g * c.headDimV() * contextLength * Float.BYTES);
            }
        }
        qGroup = new MemorySegment[hkv];
        attnGroup = new MemorySegment[hkv];
        for (int g = 0; g < hkv; g++) {
            qGroup[g] = q.asSlice((long) g * c.groupSize() * c.headDimK() * Float.BYTES);
            attnGroup[g] = attn.asSlice((long) g * c.groupSize() * c.headDimV() * Float.BYTES);
        }
        long bytes = 0;
        for (MemorySegment s : new MemorySegment[] {tokens, positions, x, xn, tmp, tmp2, q, k, v, scores, attn,
                ffnGate, ffnUp, shexpGate, logits}) {
            bytes += s.byteSize();
        }
        for (int l = 0; l < c.layers(); l++) {
            bytes += keys[l].byteSize() + values[l].byteSize();
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
