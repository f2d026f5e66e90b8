package dev.moe4j;

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
 * {@link #atCursor} puts the part of the cursor's line before the cursor after the middle token instead, as
 * llama.vscode does: then typing on that line changes only the end of the prompt, and the model's prompt cache
 * computes only that end again (a completion after each keystroke costs a few tokens, not the whole file).
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
     * @throws NullPointerException if an argument is null
     */
    public static InfillInput of(String prefix, String suffix) {
        return new InfillInput(prefix, suffix, "", List.of(), false);
    }

    /**
     * The code before and after the cursor in llama.vscode's layout: the prefix up to the start of the cursor's line
     * before the FIM middle token, the rest of the cursor's line before the cursor after it (the text the completion
     * continues), so that typing on the line reuses the prompt cache for everything else.
     *
     * @throws NullPointerException if an argument is null
     */
    public static InfillInput atCursor(String textBeforeCursor, String textAfterCursor) {
        int lineStart = textBeforeCursor.lastIndexOf('\n') + 1;
        return new InfillInput(textBeforeCursor.substring(0, lineStart), textAfterCursor,
                textBeforeCursor.substring(lineStart), List.of(), false);
    }

    /** Text the completion begins with, written after the FIM middle token (llama.cpp's {@code prompt}). */
    public InfillInput withMiddle(String middle) {
        return new InfillInput(prefix, suffix, middle, extraFiles, suffixFirst);
    }

    /**
     * Adds a file of extra context (llama.cpp's {@code input_extra}), such as another open file; files are given
     * oldest first, and what does not fit in the context is cut from the front.
     */
    public InfillInput withExtraFile(String name, String text) {
        List<ExtraFile> files = new ArrayList<>(extraFiles);
        files.add(new ExtraFile(name, text));
        return new InfillInput(prefix, suffix, middle, files, suffixFirst);
    }

    /**
     * The suffix before the prefix (SPM order, llama-server's {@code --spm-infill}), for models trained that way;
     * default false (PSM).
     */
    public InfillInput withSuffixFirst(boolean suffixFirst) {
        return new InfillInput(prefix, suffix, middle, extraFiles, suffixFirst);
    }

    /** The code before the FIM middle token's side of the cursor. */
    public String prefix() {
        return prefix;
    }

    /** The code after the cursor. */
    public String suffix() {
        return suffix;
    }

    /** The text written after the FIM middle token; empty by default. */
    public String middle() {
        return middle;
    }

    /** The extra files, oldest first (unmodifiable). */
    public List<ExtraFile> extraFiles() {
        return extraFiles;
    }

    /** Whether the suffix comes first (SPM order). */
    public boolean suffixFirst() {
        return suffixFirst;
    }

    @Override
    public boolean equals(Object o) {
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
