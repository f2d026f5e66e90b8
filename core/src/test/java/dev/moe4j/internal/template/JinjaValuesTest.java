package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Python value semantics the renderer depends on: str()/repr(), float text, JSON, code-point indexing. */
class JinjaValuesTest {

    @Test
    void floatTextIsPythonsShortestRepr() {
        assertEquals("1.0", PyRepr.formatFloat(1.0));
        assertEquals("0.1", PyRepr.formatFloat(0.1));
        assertEquals("0.30000000000000004", PyRepr.formatFloat(0.1 + 0.2));
        assertEquals("1e+16", PyRepr.formatFloat(1e16));
        assertEquals("1000000000000000.0", PyRepr.formatFloat(1e15));
        assertEquals("0.0001", PyRepr.formatFloat(1e-4));
        assertEquals("1e-05", PyRepr.formatFloat(1e-5));
        assertEquals("1.5e-07", PyRepr.formatFloat(1.5e-7));
        assertEquals("-2.5e+300", PyRepr.formatFloat(-2.5e300));
        assertEquals("-0.0", PyRepr.formatFloat(-0.0));
        assertEquals("inf", PyRepr.formatFloat(Double.POSITIVE_INFINITY));
        assertEquals("nan", PyRepr.formatFloat(Double.NaN));
        assertEquals("5e-324", PyRepr.formatFloat(Double.MIN_VALUE));
    }

    /** Property: on fresh random doubles of all magnitudes, the text round-trips and follows Python's layout rule. */
    @Test
    void floatTextRoundTripsOnRandomDoubles() {
        Random random = new Random(System.nanoTime());
        for (int i = 0; i < 20_000; i++) {
            double d = Double.longBitsToDouble(random.nextLong());
            if (!Double.isFinite(d)) {
                continue;
            }
            String text = PyRepr.formatFloat(d);
            assertEquals(d, Double.parseDouble(text), text);
            double magnitude = Math.abs(d);
            boolean exponent = text.contains("e");
            assertEquals(magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e16), exponent, text);
            assertTrue(exponent || text.contains("."), text);
        }
    }

    @Test
    void strAndReprOfContainers() {
        Map<Object, Object> d = new LinkedHashMap<>();
        d.put("k", Arrays.asList(1L, 2.5, null, true, "it's"));
        d.put(3L, PyTuple.of("x"));
        assertEquals("{'k': [1, 2.5, None, True, \"it's\"], 3: ('x',)}", PyRepr.str(d));
        assertEquals("'a\\nb\\\\\\x00é🦙\\u200b'", PyRepr.repr("a\nb\\\u0000é🦙\u200b"));
        assertEquals("", PyRepr.str(Undefined.named("x")));
        assertEquals("None", PyRepr.str(null));
    }

    @Test
    void jsonMatchesPythonDumps() {
        Map<Object, Object> d = new LinkedHashMap<>();
        d.put("name", "Zürich \"q\" \n\t\u0001");
        d.put("n", List.of(1L, 2.5, 1e16));
        d.put("empty", new LinkedHashMap<>());
        d.put("none", null);
        assertEquals("{\"name\": \"Zürich \\\"q\\\" \\n\\t\\u0001\", \"n\": [1, 2.5, 1e+16], \"empty\": {}, "
                + "\"none\": null}", Json.dumps(d, false, null, null, false));
        assertEquals("{\n  \"name\": \"Z\\u00fcrich \\\"q\\\" \\n\\t\\u0001\",\n  \"n\": [\n    1,\n    2.5,\n"
                + "    1e+16\n  ],\n  \"empty\": {},\n  \"none\": null\n}", Json.dumps(d, true, 2L, null, false));
        assertEquals("[\"\\ud83e\\udd99\"]", Json.dumps(List.of("🦙"), true, null, null, false));
        assertEquals("{\"a\":1}", Json.dumps(Map.of("a", 1L), false, null, PyTuple.of(",", ":"), false));
    }

    /** Property: string length, indexing and reversal count code points, on random text with astral characters. */
    @Test
    void stringsIndexByCodePoint() {
        Random random = new Random(System.nanoTime());
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + random.nextInt(12);
            int[] cps = new int[n];
            for (int i = 0; i < n; i++) {
                cps[i] = random.nextBoolean() ? 'a' + random.nextInt(26) : 0x1F600 + random.nextInt(80);
            }
            String s = new String(cps, 0, n);
            assertEquals((long) n, PyOps.len(s));
            int k = random.nextInt(n);
            assertEquals(new String(cps, k, 1), PyAccess.getitem(s, (long) k));
            assertEquals(new String(cps, k, 1), PyAccess.getitem(s, (long) (k - n)));
            List<Object> reversed = new ArrayList<>(PyStrings.characters(s));
            java.util.Collections.reverse(reversed);
            assertEquals(String.join("", reversed.stream().map(x -> (String) x).toList()),
                    PyAccess.slice(s, new PySlice(null, null, -1L)));
        }
    }

    @Test
    void pythonEqualityAcrossNumericTypes() {
        assertTrue(PyOps.equals(1L, 1.0));
        assertTrue(PyOps.equals(true, 1L));
        assertTrue(!PyOps.equals(List.of(1L), PyTuple.of(1L)));
        assertTrue(PyOps.equals(Undefined.named("a"), Undefined.named("b")));
        assertTrue(!PyOps.equals(9007199254740993L, 9007199254740992.0));
    }
}
