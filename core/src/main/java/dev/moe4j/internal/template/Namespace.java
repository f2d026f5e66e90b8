package dev.moe4j.internal.template;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The object {@code namespace(...)} creates: the one value whose attributes a template may assign
 * ({@code {% set ns.x = 1 %}}), which is how state escapes a loop body's scope.
 */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
