package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A live view from {@code dict.items()}, {@code .keys()} or {@code .values()}. */
record DictView(Kind kind, Map<Object, Object> map) {

    enum Kind {
        ITEMS("dict_items"), KEYS("dict_keys"), VALUES("dict_values");

        final String typeName;

        Kind(String typeName) {
            this.typeName = typeName;
        }
    }

    List<Object> elements() {
        List<Object> out = new ArrayList<>(map.size());
        for (Map.Entry<Object, Object> e : map.entrySet()) {
            out.add(switch (kind) {
                case ITEMS -> PyTuple.of(e.getKey(), e.getValue());
                case KEYS -> e.getKey();
                case VALUES -> e.getValue();
            });
        }
        return out;
    }
}
