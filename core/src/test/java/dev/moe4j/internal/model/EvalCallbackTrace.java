package dev.moe4j.internal.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads llama.cpp's eval-callback dump (golden {@code eval_callback_trace.txt}): for each 2-D tensor {@code {n, T}} the
 * printed values (the first and last three tokens, of each the first and last three values, to 4 decimals) and the sum
 * of all values. A later tensor of the same name replaces an earlier one (e.g. {@code kv_cmpr} before and after its
 * norm).
 */
final class EvalCallbackTrace {
    /** One printed value: token index, element index, value. */
    record Value(int token, int index, double value) {
    }

    record Tensor(String name, int layer, int width, int tokens, List<Value> values, double sum) {
    }

    private static final Pattern HEADER = Pattern.compile(
            "common_debug_cb_eval:\\s+(.+?) = \\((f32|i32)\\)\\s+\\S+\\(.*\\) = \\{(\\d+), (\\d+), (\\d+), (\\d+)}");
    private static final Pattern NAME = Pattern.compile("([A-Za-z_]+)(?:-(\\d+))?");
    private static final Pattern SUM = Pattern.compile("\\s*sum = (\\S+)");

    private EvalCallbackTrace() {}

    /** The 2-D tensors of the trace by {@code name@layer} (layer -1 for unsuffixed names). */
    static Map<String, Tensor> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher h = HEADER.matcher(lines.get(i));
            if (!h.find()) {
                continue;
            }
            Matcher nm = NAME.matcher(h.group(1));
            boolean plain = nm.matches();
            int width = Integer.parseInt(h.group(3));
            int tokens = Integer.parseInt(h.group(4));
            boolean twoD = h.group(5).equals("1") && h.group(6).equals("1");
            List<List<double[]>> rows = new ArrayList<>(); // per printed row: head values, tail values
            double sum = Double.NaN;
            int j = i + 1;
            for (; j < lines.size() && !lines.get(j).contains("common_debug_cb_eval"); j++) {
                String l = lines.get(j).trim();
                Matcher s = SUM.matcher(lines.get(j));
                if (s.matches()) {
                    sum = number(s.group(1));
                    break;
                }
                if (l.startsWith("[") && l.endsWith("],") && l.length() > 3 && !l.startsWith("[[")) {
                    String body = l.substring(1, l.length() - 2).trim();
                    if (body.isEmpty() || body.startsWith("[")) {
                        continue;
                    }
                    String[] parts = body.split("\\.\\.\\.,");
                    List<double[]> row = new ArrayList<>();
                    for (String p : parts) {
                        row.add(numbers(p));
                    }
                    rows.add(row);
                }
            }
            i = j;
            if (!plain || !twoD || Double.isNaN(sum)) {
                continue;
            }
            List<Value> values = new ArrayList<>();
            for (int r = 0; r < rows.size(); r++) {
                int token = tokens <= 6 || r < 3 ? r : tokens - (rows.size() - r);
                List<double[]> row = rows.get(r);
                double[] head = row.get(0);
                for (int c = 0; c < head.length; c++) {
                    values.add(new Value(token, c, head[c]));
                }
                if (row.size() > 1) {
                    double[] tail = row.get(1);
                    for (int c = 0; c < tail.length; c++) {
                        values.add(new Value(token, width - tail.length + c, tail[c]));
                    }
                }
            }
            String name = nm.group(1);
            int layer = nm.group(2) == null ? -1 : Integer.parseInt(nm.group(2));
            out.put(name + "@" + layer, new Tensor(name, layer, width, tokens, values, sum));
        }
        return out;
    }

    /** ggml prints infinities as inf / -inf and NaN as nan. */
    private static double number(String s) {
        return switch (s) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan", "-nan" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }

    private static double[] numbers(String s) {
        String[] f = s.trim().split("\\s*,\\s*");
        List<Double> v = new ArrayList<>();
        for (String x : f) {
            if (!x.isBlank()) {
                v.add(number(x.trim()));
            }
        }
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
