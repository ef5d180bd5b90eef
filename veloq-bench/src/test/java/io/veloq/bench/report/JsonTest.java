package io.veloq.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void writesNestedValuesAndEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "a \"q\"\n\\");
        m.put("n", 3);
        m.put("x", 1.5);
        m.put("whole", 2.0);
        m.put("nan", Double.NaN);
        m.put("ok", true);
        m.put("none", null);
        m.put("list", List.of(1, "two"));
        m.put("empty", List.of());
        assertEquals("{\n"
                + "  \"name\": \"a \\\"q\\\"\\n\\\\\",\n"
                + "  \"n\": 3,\n"
                + "  \"x\": 1.5,\n"
                + "  \"whole\": 2,\n"
                + "  \"nan\": null,\n"
                + "  \"ok\": true,\n"
                + "  \"none\": null,\n"
                + "  \"list\": [\n"
                + "    1,\n"
                + "    \"two\"\n"
                + "  ],\n"
                + "  \"empty\": []\n"
                + "}\n", Json.write(m));
    }
}
