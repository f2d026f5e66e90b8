package dev.moe4j.internal.template;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.IsoFields;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} for a naive local date-time in the C locale (what transformers'
 * {@code strftime_now} produces): the C89 directives plus the common glibc ones ({@code %e %k %l %u %V %G %C %D %F %T
 * %R %n %t %h}) and glibc's {@code -} flag to drop padding ({@code %-d}). {@code %z} and {@code %Z} are empty, as for
 * a naive datetime. An unknown directive is an error rather than a silent difference.
 */
final class Strftime {
    private Strftime() {
    }

    static String format(LocalDateTime t, String fmt) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                b.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < fmt.length()) {
                noPad = true;
                d = fmt.charAt(++i);
            }
            b.append(directive(t, d, noPad));
        }
        return b.toString();
    }

    private static String num(long v, int width, char pad, boolean noPad) {
        String s = Long.toString(v);
        if (noPad || s.length() >= width) {
            return s;
        }
        return String.valueOf(pad).repeat(width - s.length()) + s;
    }

    private static String directive(LocalDateTime t, char d, boolean noPad) {
        int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
        int sundayBased = t.getDayOfWeek().getValue() % 7; // %w: Sunday = 0
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
            case 'c' -> directive(t, 'a', false) + " " + directive(t, 'b', false) + " " + num(t.getDayOfMonth(), 2, ' ',
                    false) + " " + directive(t, 'T', false) + " " + t.getYear();
            case 'C' -> num(t.getYear() / 100, 2, '0', noPad);
            case 'd' -> num(t.getDayOfMonth(), 2, '0', noPad);
            case 'D' -> directive(t, 'm', false) + "/" + directive(t, 'd', false) + "/" + directive(t, 'y', false);
            case 'e' -> num(t.getDayOfMonth(), 2, ' ', noPad);
            case 'f' -> num(t.getNano() / 1000, 6, '0', noPad);
            case 'F' -> t.getYear() + "-" + directive(t, 'm', false) + "-" + directive(t, 'd', false);
            case 'G' -> Integer.toString(t.get(IsoFields.WEEK_BASED_YEAR));
            case 'H' -> num(t.getHour(), 2, '0', noPad);
            case 'I' -> num(hour12, 2, '0', noPad);
            case 'j' -> num(t.getDayOfYear(), 3, '0', noPad);
            case 'k' -> num(t.getHour(), 2, ' ', noPad);
            case 'l' -> num(hour12, 2, ' ', noPad);
            case 'm' -> num(t.getMonthValue(), 2, '0', noPad);
            case 'M' -> num(t.getMinute(), 2, '0', noPad);
            case 'n' -> "\n";
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'R' -> directive(t, 'H', false) + ":" + directive(t, 'M', false);
            case 'S' -> num(t.getSecond(), 2, '0', noPad);
            case 't' -> "\t";
            case 'T', 'X' -> directive(t, 'H', false) + ":" + directive(t, 'M', false) + ":" + directive(t, 'S', false);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'U' -> num((t.getDayOfYear() + 6 - sundayBased) / 7, 2, '0', noPad);
            case 'V' -> num(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, '0', noPad);
            case 'w' -> Integer.toString(sundayBased);
            case 'W' -> num((t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() - 1)) / 7, 2, '0', noPad);
            case 'x' -> directive(t, 'D', false);
            case 'y' -> num(t.getYear() % 100, 2, '0', noPad);
            case 'Y' -> Integer.toString(t.get(ChronoField.YEAR));
            case 'z', 'Z' -> "";
            case '%' -> "%";
            default -> throw PyError.unsupported("strftime directive '%" + d + "' is not supported");
        };
    }
}
