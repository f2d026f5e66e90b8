package dev.moe4j.internal.template;

import java.util.AbstractList;

/**
 * A Python {@code range}: an immutable arithmetic sequence. It is a read-only {@link java.util.List} of Longs for
 * iteration and indexing, but prints as {@code range(0, 3)}, never equals a list, and is not JSON serializable, as in
 * Python.
 */
final class PyRange extends AbstractList<Object> {
    final long start;
    final long stop;
    final long step;
    private final int size;

    PyRange(long start, long stop, long step) {
        this.start = start;
        this.stop = stop;
        this.step = step;
        long n = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                : (stop < start ? (start - stop - step - 1) / -step : 0);
        this.size = (int) n;
    }

    @Override
    public Object get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        return start + index * step;
    }

    @Override
    public int size() {
        return size;
    }

    /** Python's {@code range[slice]}: another range. */
    PyRange slice(PySlice slice) {
        long[] b = PyAccess.sliceBounds(slice, size);
        return new PyRange(start + b[0] * step, start + b[1] * step, step * b[2]);
    }

    String repr() {
        return "range(" + start + ", " + stop + (step == 1 ? "" : ", " + step) + ")";
    }

    /** Python compares ranges as the sequences they produce. */
    boolean sameSequence(PyRange other) {
        if (size != other.size) {
            return false;
        }
        return size == 0 || (start == other.start && (size == 1 || step == other.step));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PyRange r && sameSequence(r);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(size == 0 ? 0 : start) * 31 + size;
    }
}
