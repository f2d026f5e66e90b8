package dev.moe4j.internal.offload;

/**
 * An intrusive doubly linked list of int keys in {@code [0, capacity)}, most recent at the head: O(1) insert, remove
 * and move-to-front, allocation-free. The recency order of the LRU-based policies.
 */
final class KeyList {
    private static final int NONE = -1;
    private final int[] prev;
    private final int[] next;
    private final boolean[] in;
    private int head = NONE;
    private int tail = NONE;
    private int size;

    KeyList(int capacity) {
        prev = new int[capacity];
        next = new int[capacity];
        in = new boolean[capacity];
    }

    boolean contains(int key) {
        return in[key];
    }

    int size() {
        return size;
    }

    /** Inserts {@code key} (not in the list) as the most recent. */
    void addFirst(int key) {
        if (in[key]) {
            throw new IllegalStateException("key " + key + " is already listed");
        }
        in[key] = true;
        prev[key] = NONE;
        next[key] = head;
        if (head != NONE) {
            prev[head] = key;
        }
        head = key;
        if (tail == NONE) {
            tail = key;
        }
        size++;
    }

    void remove(int key) {
        if (!in[key]) {
            return;
        }
        int p = prev[key];
        int n = next[key];
        if (p != NONE) {
            next[p] = n;
        } else {
            head = n;
        }
        if (n != NONE) {
            prev[n] = p;
        } else {
            tail = p;
        }
        in[key] = false;
        size--;
    }

    /** Makes a listed {@code key} the most recent. */
    void moveToFront(int key) {
        if (head != key) {
            remove(key);
            addFirst(key);
        }
    }

    /** The least recent key, or -1 when empty. */
    int last() {
        return tail;
    }

    /** The key listed after {@code key} towards the head (more recent), or -1. */
    int newer(int key) {
        return prev[key];
    }
}
