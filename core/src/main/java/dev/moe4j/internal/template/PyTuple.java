package dev.moe4j.internal.template;

import java.util.List;

/** A Python tuple: like a list for iteration and indexing, but printed with parentheses and never equal to a list. */
record PyTuple(List<Object> items) {
    PyTuple {
        items = java.util.Collections.unmodifiableList(items);
    }

    static PyTuple of(Object... items) {
        return new PyTuple(java.util.Arrays.asList(items));
    }
}
