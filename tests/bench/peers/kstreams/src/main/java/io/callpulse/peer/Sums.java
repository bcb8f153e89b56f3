package io.callpulse.peer;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The sums an agent's windows keep, as include/kpi.def's CP_SUM rows define them: the field
 * name in the KPI hash, whether it is written in thousandths ("600.500"), the event types that
 * feed it and what one such event adds. The order is kpi.def's.
 */
final class Sums {
    static final int COUNT = 16;

    static final String[] NAMES = {"offered", "answered", "missed", "handled", "talk_s", "hold_s",
        "acw_s", "resolved", "transferred", "complaints", "sales", "sales_value", "csat_sum",
        "csat_count", "qa_sum", "qa_count"};

    private static final boolean[] THOUSANDTHS = {false, false, false, false, true, true, true,
        false, false, false, false, true, false, false, true, false};

    private Sums() {}

    /**
     * What the event adds to each sum, into out (zeroed first); false when its type feeds no
     * sum. Amounts in seconds become thousandths as callpulse's decoder rounds them
     * (llround(x * 1000)).
     */
    static boolean ofEvent(String type, JsonNode ev, long[] out) {
        java.util.Arrays.fill(out, 0);
        switch (type) {
            case "call_offered":
                out[0] = 1;
                return true;
            case "call_answered":
                out[1] = 1;
                return true;
            case "call_missed":
                out[2] = 1;
                return true;
            case "call_ended":
                out[3] = 1;
                out[4] = milli(ev, "talk_s");
                out[5] = milli(ev, "hold_s");
                out[6] = milli(ev, "acw_s");
                out[7] = flag(ev, "resolved");
                out[8] = flag(ev, "transferred");
                out[9] = flag(ev, "complaint");
                out[10] = flag(ev, "sale");
                out[11] = milli(ev, "sale_value");
                return true;
            case "wrapup_ended":
                out[6] = milli(ev, "acw_s");
                return true;
            case "survey":
                out[12] = ev.path("csat").asLong();
                out[13] = 1;
                return true;
            case "qa_scored":
                out[14] = milli(ev, "qa_score");
                out[15] = 1;
                return true;
            default:
                return false;
        }
    }

    static void add(long[] into, long[] d) {
        for (int i = 0; i < COUNT; i++)
            into[i] += d[i];
    }

    /** The sum as callpulse writes it: an integer, or thousandths with 3 decimals. */
    static String text(int i, long v) {
        if (!THOUSANDTHS[i])
            return Long.toString(v);
        String frac = Long.toString(1000 + Math.floorMod(v, 1000L)).substring(1);
        return Math.floorDiv(v, 1000L) + "." + frac;
    }

    private static long milli(JsonNode ev, String field) {
        JsonNode v = ev.get(field);
        return v == null || !v.isNumber() ? 0 : Math.round(v.asDouble() * 1000.0);
    }

    private static long flag(JsonNode ev, String field) {
        return ev.path(field).asBoolean(false) ? 1 : 0;
    }
}
