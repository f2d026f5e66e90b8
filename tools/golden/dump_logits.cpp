// dump_logits: llama.cpp's token ids, greedy tokens and logits for one prompt, in the golden-fixture format of
// ../shared/golden/README.md. Built against llama.cpp's public C API (llama.h); see tools/golden/README.md.
//
//   dump_logits -m MODEL -p PROMPT -o OUTDIR [-n 32] [-t 2] [--parse-special] [--stop-at-eos] [--ubatch N]
//
// Writes OUTDIR/prompt_tokens.txt, generated_tokens.txt, logits_last_prompt.npy ([n_vocab] float32),
// logits_gen_steps.npy ([n_gen, n_vocab] float32; row i chose generated token i) and meta.txt. Greedy = argmax with
// the lowest id winning a tie. F32 KV cache, flash attention off, CPU only. The prompt is one llama_decode call; by
// default it is also one ubatch, --ubatch N makes llama.cpp split it into ubatches of N tokens (1: token by token).
#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static void die(const char *msg) {
    std::fprintf(stderr, "dump_logits: %s\n", msg);
    std::exit(1);
}

static void write_npy(const std::string &path, const std::vector<float> &data, const std::vector<size_t> &shape) {
    std::string dims = "(";
    for (size_t i = 0; i < shape.size(); i++) {
        dims += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
    }
    dims += ")";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + dims + ", }";
    size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) die(("cannot write " + path).c_str());
    const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    std::fwrite(magic, 1, 8, f);
    unsigned short len = (unsigned short) header.size();
    std::fwrite(&len, 2, 1, f);
    std::fwrite(header.data(), 1, header.size(), f);
    std::fwrite(data.data(), sizeof(float), data.size(), f);
    std::fclose(f);
}

static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
        if (v[i] > v[best]) best = i;   // strictly greater: the lowest id wins a tie
    }
    return best;
}

int main(int argc, char **argv) {
    std::string model_path, prompt, out;
    int n_gen = 32, threads = 2, ubatch = 0;
    bool parse_special = false, stop_at_eos = false;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto next = [&]() -> std::string { if (i + 1 >= argc) die(("missing value after " + a).c_str()); return argv[++i]; };
        if (a == "-m") model_path = next();
        else if (a == "-p") prompt = next();
        else if (a == "-o") out = next();
        else if (a == "-n") n_gen = std::atoi(next().c_str());
        else if (a == "-t") threads = std::atoi(next().c_str());
        else if (a == "--parse-special") parse_special = true;
        else if (a == "--stop-at-eos") stop_at_eos = true;
        else if (a == "--ubatch") ubatch = std::atoi(next().c_str());
        else die(("unknown argument " + a).c_str());
    }
    if (model_path.empty() || out.empty()) die("usage: dump_logits -m MODEL -p PROMPT -o OUTDIR [-n N] [-t T] [--parse-special] [--stop-at-eos]");

    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    llama_model *model = llama_model_load_from_file(model_path.c_str(), mp);
    if (!model) die("cannot load the model");
    const llama_vocab *vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    std::vector<llama_token> tokens(prompt.size() + 16);
    int n = llama_tokenize(vocab, prompt.c_str(), (int) prompt.size(), tokens.data(), (int) tokens.size(), true, parse_special);
    if (n < 0) die("tokenize failed");
    tokens.resize(n);

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) (n + n_gen + 8);
    cp.n_batch = cp.n_ctx;
    cp.n_ubatch = ubatch > 0 ? (uint32_t) ubatch : cp.n_ctx;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) die("cannot create a context");

    if (llama_decode(ctx, llama_batch_get_one(tokens.data(), (int) tokens.size())) != 0) die("prompt decode failed");
    std::vector<float> steps;
    std::vector<llama_token> generated;
    for (int i = 0; i < n_gen; i++) {
        const float *logits = llama_get_logits_ith(ctx, -1);
        steps.insert(steps.end(), logits, logits + n_vocab);
        llama_token t = argmax(logits, n_vocab);
        generated.push_back(t);
        if (stop_at_eos && llama_vocab_is_eog(vocab, t)) break;
        if (i + 1 < n_gen && llama_decode(ctx, llama_batch_get_one(&t, 1)) != 0) die("decode failed");
    }

    FILE *f = std::fopen((out + "/prompt_tokens.txt").c_str(), "w");
    if (!f) die("cannot write prompt_tokens.txt (does OUTDIR exist?)");
    for (llama_token t : tokens) std::fprintf(f, "%d\n", t);
    std::fclose(f);
    f = std::fopen((out + "/generated_tokens.txt").c_str(), "w");
    for (llama_token t : generated) std::fprintf(f, "%d\n", t);
    std::fclose(f);
    write_npy(out + "/logits_last_prompt.npy", std::vector<float>(steps.begin(), steps.begin() + n_vocab), {(size_t) n_vocab});
    write_npy(out + "/logits_gen_steps.npy", steps, {generated.size(), (size_t) n_vocab});
    f = std::fopen((out + "/meta.txt").c_str(), "w");
    std::fprintf(f, "model=%s\nprompt=%s\nn_vocab=%d\nn_prompt=%d\nn_gen=%zu\nthreads=%d\nkv_cache=f32\nflash_attn=off\n"
                 "sampling=greedy argmax (lowest id on ties)\nadd_special=true parse_special=%s\n%sllama.cpp=%s\n",
                 model_path.c_str(), prompt.c_str(), n_vocab, n, generated.size(), threads,
                 parse_special ? "true" : "false", ubatch > 0 ? ("ubatch=" + std::to_string(ubatch) + "\n").c_str() : "",
                 llama_print_system_info());
    std::fclose(f);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
