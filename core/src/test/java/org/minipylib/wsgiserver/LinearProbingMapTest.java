package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The environ's map behaves as a HashMap: the same answers after any mix of puts, removes and iterator removes. */
class LinearProbingMapTest {

    @Test
    void randomOperationsGiveTheSameResultsAsAHashMap() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            LinearProbingMap map = new LinearProbingMap(1 + random.nextInt(40));
            Map<String, Object> model = new HashMap<>();
            for (int op = 0; op < 500; op++) {
                String key = "K" + random.nextInt(60);
                switch (random.nextInt(5)) {
                    case 0, 1 -> assertEquals(model.put(key, op), map.put(key, op), "put " + key);
                    case 2 -> assertEquals(model.remove(key), map.remove(key), "remove " + key);
                    case 3 -> {
                        assertEquals(model.get(key), map.get(key), "get " + key);
                        assertEquals(model.containsKey(key), map.containsKey(key), "containsKey " + key);
                    }
                    default -> { // remove every entry whose value is divisible by 7, through the iterator
                        model.values().removeIf(v -> (Integer) v % 7 == 0);
                        for (Iterator<Map.Entry<String, Object>> it = map.entrySet().iterator(); it.hasNext(); ) {
                            if ((Integer) it.next().getValue() % 7 == 0) it.remove();
                        }
                    }
                }
                assertEquals(model.size(), map.size());
            }
            assertEquals(model, map);
            assertEquals(map, model);
            assertEquals(model.hashCode(), map.hashCode());
        }
    }

    @Test
    void entriesWriteThroughAndIterationSeesEveryEntryOnce() {
        LinearProbingMap map = new LinearProbingMap(4);
        for (int i = 0; i < 100; i++) map.put("key" + i, i); // grows several times
        int seen = 0;
        for (Map.Entry<String, Object> e : map.entrySet()) {
            e.setValue(-(Integer) e.getValue());
            seen++;
        }
        assertEquals(100, seen);
        assertEquals(-37, map.get("key37"));
        map.clear();
        assertTrue(map.isEmpty());
        assertFalse(map.entrySet().iterator().hasNext());
        assertNull(map.get(null));
        assertThrows(NullPointerException.class, () -> map.put(null, 1));
    }

    @Test
    void changingTheMapWhileIteratingIsDetected() {
        LinearProbingMap map = new LinearProbingMap(4);
        map.put("a", 1);
        map.put("b", 2);
        Iterator<Map.Entry<String, Object>> it = map.entrySet().iterator();
        it.next();
        map.put("c", 3);
        assertThrows(java.util.ConcurrentModificationException.class, it::next);
    }
}
