package dev.moe4j.internal.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link Transformer} session: one sequence's caches (each block's attention part owns the layout of its own) and
 * the workspace a forward step runs in (the residual stream, the parts' scratch, a batch of up to {@code maxBatch}
 * rows), all allocated once off-heap, so a step allocates nothing per token. Parts of the same kind and size share one
 * scratch. No kernels: those, with their worker threads, belong to the model and are leased per step, so that
 * concurrent sessions do not each bring a thread pool.
 */
final class TransformerState implements InferenceState {
    final Transformer model;
    private final Arena arena = Arena.ofShared();
    private final int contextLength;
    private final long allocated;
    private int position;
    private boolean closed;
    Trace trace;

    final int maxBatch;
    final Object[] caches;       // [layer] this sequence's cache of each block's attention
    // the workspace
    final Batch batch;
    final MemorySegment x;       // [B][D] residual stream
    final MemorySegment xn;      // [B][D] normalised input of a sub-block
    final MemorySegment tmp;     // [B][D] sub-block output
    final MemorySegment logits;  // [V] one row of logits
    final Object[] attnScratch;  // [layer]
    final Object[] ffnScratch;   // [layer]
    final Object[] cacheArgs;
    final HyperConnections.Scratch mixScratch;  // hyper-connection mixing of the blocks, or null
    final HyperConnections.Scratch headScratch; // the head's collapse, or null    // [B] the batch's sequences' caches of the running layer

    TransformerState(Transformer model, int contextLength, int maxBatch) {
        this.model = model;
        this.contextLength = contextLength;
        this.maxBatch = maxBatch;
        StateMemory mem = new StateMemory(arena);
        int layers = model.blocks();
        int d = model.config().embeddingLength();
        try {
            caches = new Object[layers];
            attnScratch = new Object[layers];
            ffnScratch = new Object[layers];
            Map<Object, Object> shared = new HashMap<>();
            for (int l = 0; l < layers; l++) {
                Block block = model.block(l);
                caches[l] = block.attn().newCache(contextLength, mem);
                attnScratch[l] = shared.computeIfAbsent(block.attn().scratchKey(),
                        key -> block.attn().newScratch(maxBatch, contextLength, mem));
                ffnScratch[l] = shared.computeIfAbsent(block.ffn().scratchKey(),
                        key -> block.ffn().newScratch(maxBatch, mem));
            }
            batch = new Batch(maxBatch, mem);
            HyperConnections head = model.headMixer();
            int streams = head == null ? 1 : head.hc;
            mixScratch = head == null ? null : model.block(0).attnMix().newScratch(maxBatch, mem);
            headScratch = head == null ? null : head.newScratch(1, mem);
            x = mem.floats((long) maxBatch * streams * d);
            xn = mem.floats((long) maxBatch * d);
            tmp = mem.floats((long) maxBatch * d);
            logits = mem.floats(model.config().vocabSize());
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
        cacheArgs = new Object[maxBatch];
        allocated = mem.bytes();
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
        int at = newPosition;
        for (int l = 0; l < caches.length && at > 0; l++) {
            at = Math.min(at, model.block(l).attn().resumablePosition(caches[l], position, at));
        }
        position = at;
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
            arena.close();
        }
    }
}
