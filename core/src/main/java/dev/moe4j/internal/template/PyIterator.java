package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;

/**
 * A one-shot Python iterator or generator, as Jinja's {@code map}, {@code select}, {@code selectattr}, {@code items},
 * {@code reverse} ... filters return. Like Python's: always truthy, no {@code len()}, no indexing, and exhausted after
 * one pass (a second loop over the same value sees nothing). {@code typeName} is Python's type name, for messages.
 */
final class PyIterator {
    private final List<Object> items;
    private final String typeName;
    private int next;

    PyIterator(List<Object> items, String typeName) {
        this.items = items;
        this.typeName = typeName;
    }

    String typeName() {
        return typeName;
    }

    boolean hasNext() {
        return next < items.size();
    }

    Object next() {
        return items.get(next++);
    }

    /** Consumes and returns what is left. */
    List<Object> drain() {
        List<Object> rest = new ArrayList<>(items.subList(next, items.size()));
        next = items.size();
        return rest;
    }
}
