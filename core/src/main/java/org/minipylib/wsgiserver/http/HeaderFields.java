package org.minipylib.wsgiserver.http;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The header fields of a request, in the order received. Names keep the case the client sent
 * (common names come as shared canonical strings); lookups ignore case.
 */
public final class HeaderFields {

    private String[] names;
    private String[] values;
    private int size;

    /** An empty set of fields. */
    public HeaderFields() {
        this(16);
    }

    private HeaderFields(int capacity) {
        this.names = new String[capacity];
        this.values = new String[capacity];
    }

    /** A copy with arrays no longer than its fields (a request's fields are built in a reused set, then copied). */
    HeaderFields compactCopy() {
        HeaderFields copy = new HeaderFields(size);
        System.arraycopy(names, 0, copy.names, 0, size);
        System.arraycopy(values, 0, copy.values, 0, size);
        copy.size = size;
        return copy;
    }

    /** Removes every field. */
    void clear() {
        Arrays.fill(names, 0, size, null);
        Arrays.fill(values, 0, size, null);
        size = 0;
    }

    /** Appends a field. */
    public void add(String name, String value) {
        if (size == names.length) {
            int capacity = Math.max(4, size * 2); // a compact copy may have room for none
            names = Arrays.copyOf(names, capacity);
            values = Arrays.copyOf(values, capacity);
        }
        names[size] = name;
        values[size] = value;
        size++;
    }

    /** Removes the field added last (a trailer field that may not be kept). */
    void removeLast() {
        if (size == 0) throw new IllegalStateException("no fields");
        size--;
        names[size] = null;
        values[size] = null;
    }

    /** Replaces the value of field {@code i} (the parser joins an obs-fold continuation this way). */
    void setValue(int i, String value) {
        java.util.Objects.checkIndex(i, size);
        values[i] = value;
    }

    /** Number of fields, repeated names counted each time. */
    public int size() {
        return size;
    }

    public String name(int i) {
        return names[i];
    }

    public String value(int i) {
        return values[i];
    }

    /** The first value of {@code name} (case-insensitive), or {@code null}. */
    public String get(String name) {
        for (int i = 0; i < size; i++) {
            if (sameName(names[i], name)) return values[i];
        }
        return null;
    }

    /** Every value of {@code name}, in order. */
    public List<String> getAll(String name) {
        List<String> all = new ArrayList<>(2);
        for (int i = 0; i < size; i++) {
            if (sameName(names[i], name)) all.add(values[i]);
        }
        return all;
    }

    /** How many fields are named {@code name}. */
    public int count(String name) {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (sameName(names[i], name)) n++;
        }
        return n;
    }

    private static boolean sameName(String a, String b) {
        return a == b || a.equalsIgnoreCase(b);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < size; i++) sb.append(names[i]).append(": ").append(values[i]).append('\n');
        return sb.toString();
    }
}
