package org.minipylib.wsgiserver;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The map under {@link Environ}: open addressing with linear probing, keys and values side by side
 * in one array. An environ of 20-30 entries costs one array instead of a {@code HashMap}'s table
 * plus a node per entry, and it is built for every request. Removal leaves a marker in the slot, so
 * iteration (and removing through an iterator) never moves entries. Null keys are not allowed.
 */
final class LinearProbingMap extends AbstractMap<String, Object> {

    /** Key of a slot whose entry was removed: lookups probe past it, inserts may reuse it. */
    private static final Object REMOVED = new Object();

    /** Key of slot i at 2i, its value at 2i + 1. */
    private Object[] table;
    private int size;
    /** Slots holding an entry or a removal marker; kept at most 3/4 of the slots, so probes end. */
    private int used;
    private int modCount;
    private Set<Entry<String, Object>> entrySet;

    LinearProbingMap(int expectedSize) {
        this.table = new Object[2 * slotsFor(expectedSize)];
    }

    /** Slots for {@code entries} at a load of at most 3/4. */
    private static int slotsFor(int entries) {
        int slots = 8;
        while (3 * slots < 4 * entries) slots <<= 1;
        return slots;
    }

    private static int hash(Object key) {
        int h = key.hashCode();
        return h ^ (h >>> 16);
    }

    /** The slot of {@code key}, or -1. */
    private int slotOf(Object key) {
        if (key == null) return -1;
        Object[] t = table;
        int mask = (t.length >> 1) - 1;
        for (int i = hash(key) & mask; ; i = (i + 1) & mask) {
            Object k = t[2 * i];
            if (k == null) return -1;
            if (k == key || (k != REMOVED && k.equals(key))) return i;
        }
    }

    @Override
    public Object get(Object key) {
        int i = slotOf(key);
        return i < 0 ? null : table[2 * i + 1];
    }

    @Override
    public boolean containsKey(Object key) {
        return slotOf(key) >= 0;
    }

    @Override
    public Object put(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Object[] t = table;
        int mask = (t.length >> 1) - 1;
        int free = -1;
        int i = hash(key) & mask;
        for (Object k; (k = t[2 * i]) != null; i = (i + 1) & mask) {
            if (k == REMOVED) {
                if (free < 0) free = i;
            } else if (k == key || k.equals(key)) {
                Object previous = t[2 * i + 1];
                t[2 * i + 1] = value;
                return previous;
            }
        }
        if (free < 0) {
            if (4 * (used + 1) > 3 * (t.length >> 1)) {
                rehash(slotsFor(2 * (size + 1)));
                return put(key, value);
            }
            free = i;
            used++;
        }
        t[2 * free] = key;
        t[2 * free + 1] = value;
        size++;
        modCount++;
        return null;
    }

    @Override
    public Object remove(Object key) {
        int i = slotOf(key);
        if (i < 0) return null;
        return removeSlot(i);
    }

    private Object removeSlot(int i) {
        Object previous = table[2 * i + 1];
        table[2 * i] = REMOVED;
        table[2 * i + 1] = null;
        size--;
        modCount++;
        return previous;
    }

    @Override
    public void clear() {
        Arrays.fill(table, null);
        size = 0;
        used = 0;
        modCount++;
    }

    @Override
    public int size() {
        return size;
    }

    private void rehash(int slots) {
        Object[] old = table;
        table = new Object[2 * Math.max(slots, old.length >> 1)];
        size = 0;
        used = 0;
        for (int i = 0; i < old.length; i += 2) {
            Object k = old[i];
            if (k != null && k != REMOVED) put((String) k, old[i + 1]);
        }
        modCount++;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        Set<Entry<String, Object>> set = entrySet;
        if (set == null) {
            set = new AbstractSet<>() {
                @Override public Iterator<Entry<String, Object>> iterator() { return new EntryIterator(); }
                @Override public int size() { return size; }
                @Override public void clear() { LinearProbingMap.this.clear(); }
            };
            entrySet = set;
        }
        return set;
    }

    private final class EntryIterator implements Iterator<Entry<String, Object>> {
        private int next = advance(0);
        private int last = -1;
        private int expectedModCount = modCount;

        private int advance(int from) {
            Object[] t = table;
            int i = from;
            while (2 * i < t.length && (t[2 * i] == null || t[2 * i] == REMOVED)) i++;
            return i;
        }

        @Override
        public boolean hasNext() {
            return 2 * next < table.length;
        }

        @Override
        public Entry<String, Object> next() {
            if (modCount != expectedModCount) throw new ConcurrentModificationException();
            if (!hasNext()) throw new NoSuchElementException();
            last = next;
            next = advance(next + 1);
            return new SlotEntry(last);
        }

        @Override
        public void remove() {
            if (last < 0) throw new IllegalStateException();
            if (modCount != expectedModCount) throw new ConcurrentModificationException();
            removeSlot(last);
            last = -1;
            expectedModCount = modCount;
        }
    }

    /** An entry that reads and writes its slot. */
    private final class SlotEntry implements Map.Entry<String, Object> {
        private final int slot;
        private final String key;

        SlotEntry(int slot) {
            this.slot = slot;
            this.key = (String) table[2 * slot];
        }

        @Override public String getKey() { return key; }
        @Override public Object getValue() { return table[2 * slot + 1]; }

        @Override
        public Object setValue(Object value) {
            Object previous = table[2 * slot + 1];
            table[2 * slot + 1] = value;
            return previous;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Map.Entry<?, ?> e && key.equals(e.getKey()) && Objects.equals(getValue(), e.getValue());
        }

        @Override
        public int hashCode() {
            return key.hashCode() ^ Objects.hashCode(getValue());
        }

        @Override
        public String toString() {
            return key + "=" + getValue();
        }
    }
}
