package dev.moe4j;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The code around a cursor for {@link Model#infill(InfillInput)}: what comes before it, what comes after it, and
 * optionally other files of the project as extra context, in the terms of llama.cpp's {@code /infill} (which serves
 * llama.vscode and llama.vim). Immutable; every {@code withX} returns a copy. All of it is plain text: nothing in it can
 * become a control or FIM token.
 *
 * <p><b>Layouts.</b> {@link #of} puts the whole prefix before the model's FIM middle token, as the models were trained.
 * {@link #atCursor} splits the text before the cursor as llama.vscode does (the lines before the cursor's line, and
 * the cursor's line up to the cursor) and writes the second part after the middle token, as the start of the middle
 * (llama.cpp's server writes it after the prefix, before the suffix): then typing on that line changes only the end
 * of the prompt, and the model's prompt cache computes only that end again (a completion after each keystroke costs a
 * few tokens, not the suffix or the whole file).
 *
 * @see Model#infill(InfillInput)
 */
public final class InfillInput {
    /**
     * A file of extra context.
     *
     * @param name its file name (models with a file-separator token see it; others get a plain separator)
     * @param text its content
     */
    public record ExtraFile(String name, String text) {
        /**
         * Checks the components.
         *
         * @throws NullPointerException if an argument is null
         */
        public ExtraFile {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(text, "text");
        }
    }

    private final String prefix;
    private final String suffix;
    private final String middle;
    private final List<ExtraFile> extraFiles;
    private final boolean suffixFirst;

    private InfillInput(String prefix, String suffix, String middle, List<ExtraFile> extraFiles,
                        boolean suffixFirst) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.suffix = Objects.requireNonNull(suffix, "suffix");
        this.middle = Objects.requireNonNull(middle, "middle");
        this.extraFiles = List.copyOf(extraFiles);
        this.suffixFirst = suffixFirst;
    }

    /**
     * The code before and after the cursor, the prefix wholly before the FIM middle token.
     *
     * @param prefix the code before the cursor
     * @param suffix the code after the cursor
     * @return an input without middle text or extra files, in PSM order
     * @throws NullPointerException if an argument is null
     */
    public static InfillInput of(String prefix, String suffix) {
        return new InfillInput(prefix, suffix, "", List.of(), false);
    }

    /**
     * The code before and after the cursor, split for typing: the text up to the start of the cursor's line is the
     * FIM prefix, the cursor's line up to the cursor goes after the FIM middle token (the text the completion
     * continues), so that typing on the line reuses the prompt cache for everything else.
     *
     * @param textBeforeCursor the code before the cursor
     * @param textAfterCursor  the code after the cursor
     * @return an input whose prefix ends after the last {@code '\n'} before the cursor and whose {@link #middle()} is
     *         the rest of the cursor's line before the cursor; without extra files, in PSM order
     * @throws NullPointerException if an argument is null
     */
    public static InfillInput atCursor(String textBeforeCursor, String textAfterCursor) {
        int lineStart = textBeforeCursor.lastIndexOf('\n') + 1;
        return new InfillInput(textBeforeCursor.substring(0, lineStart), textAfterCursor,
                textBeforeCursor.substring(lineStart), List.of(), false);
    }

    /**
     * Text the completion begins with, written after the FIM middle token (llama.cpp's {@code prompt}).
     *
     * @param middle the text; empty for none
     * @return a copy with {@code middle} changed
     * @throws NullPointerException if {@code middle} is null
     */
    public InfillInput withMiddle(String middle) {
        return new InfillInput(prefix, suffix, middle, extraFiles, suffixFirst);
    }

    /**
     * Adds a file of extra context (llama.cpp's {@code input_extra}), such as another open file; files are given
     * oldest first, and what does not fit in the context is cut from the front.
     *
     * @param name the file's name
     * @param text the file's content
     * @return a copy with the file added after the others
     * @throws NullPointerException if an argument is null
     */
    public InfillInput withExtraFile(String name, String text) {
        List<ExtraFile> files = new ArrayList<>(extraFiles);
        files.add(new ExtraFile(name, text));
        return new InfillInput(prefix, suffix, middle, files, suffixFirst);
    }

    /**
     * The suffix before the prefix (SPM order, llama-server's {@code --spm-infill}), for models trained that way;
     * default false (PSM).
     *
     * @param suffixFirst {@code true} for SPM order, {@code false} for PSM
     * @return a copy with {@code suffixFirst} changed
     */
    public InfillInput withSuffixFirst(boolean suffixFirst) {
        return new InfillInput(prefix, suffix, middle, extraFiles, suffixFirst);
    }

    /**
     * The code before the cursor that goes in the FIM prefix slot (with {@link #atCursor}: up to the cursor's line).
     *
     * @return the prefix
     */
    public String prefix() {
        return prefix;
    }

    /**
     * The code after the cursor.
     *
     * @return the suffix
     */
    public String suffix() {
        return suffix;
    }

    /**
     * The text written after the FIM middle token; empty by default.
     *
     * @return the middle text, or an empty string
     */
    public String middle() {
        return middle;
    }

    /**
     * The extra files, oldest first (unmodifiable).
     *
     * @return the extra files; empty for none
     */
    public List<ExtraFile> extraFiles() {
        return extraFiles;
    }

    /**
     * Whether the suffix comes first (SPM order).
     *
     * @return {@code true} for SPM order, {@code false} for PSM
     */
    public boolean suffixFirst() {
        return suffixFirst;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof InfillInput i && prefix.equals(i.prefix) && suffix.equals(i.suffix)
                && middle.equals(i.middle) && extraFiles.equals(i.extraFiles) && suffixFirst == i.suffixFirst;
    }

    @Override
    public int hashCode() {
        return Objects.hash(prefix, suffix, middle, extraFiles, suffixFirst);
    }

    @Override
    public String toString() {
        return "InfillInput[prefix=" + prefix.length() + " chars, suffix=" + suffix.length() + " chars, middle="
                + middle.length() + " chars, extraFiles=" + extraFiles.size() + (suffixFirst ? ", SPM" : "") + "]";
    }
}
