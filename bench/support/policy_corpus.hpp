#pragma once

// The content-policy benchmark's rules and text, generated the same way for
// the Google Benchmark (bench_dp_policy: raw Hyperscan vs imsd's message
// scans) and the relay run (bench/msrp_relay_bench.sh, through
// `policy_corpus`): 100 literal rules or 1,000 regex rules, and a
// "high-match" corpus of words in which a rule's text appears every ~300
// bytes. Every rule counts (none blocks), so every byte is scanned.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace imsd::bench {

struct corpus_rule {
    std::string expression;  // Hyperscan syntax
    std::string sample;      // a text the expression matches
};

inline std::string random_word(std::mt19937& rng, size_t n) {
    std::string w;
    for (size_t i = 0; i < n; ++i) {
        w += static_cast<char>('a' + rng() % 26);
    }
    return w;
}

// kind "literals": n plain 8-letter words; "regex": n expressions
// word4 [0-9]{0,3} \s* word4 .{0,8} letter.
inline std::vector<corpus_rule> make_rules(const std::string& kind, size_t n, uint32_t seed = 7) {
    std::mt19937 rng(seed);
    std::vector<corpus_rule> out;
    for (size_t i = 0; i < n; ++i) {
        if (kind == "literals") {
            std::string w = random_word(rng, 8);
            out.push_back({w, w});
        } else {
            const std::string a = random_word(rng, 4), b = random_word(rng, 4),
                              c = random_word(rng, 1);
            out.push_back({a + "[0-9]{0,3}\\s*" + b + ".{0,8}" + c, a + "12 " + b + "xyz" + c});
        }
    }
    return out;
}

// `bytes` of lower-case words and spaces; a rule's sample every ~300 bytes.
inline std::string make_corpus(const std::vector<corpus_rule>& rules, size_t bytes,
                               uint32_t seed = 11) {
    std::mt19937 rng(seed);
    std::string s;
    s.reserve(bytes + 64);
    size_t next_hit = 150;
    while (s.size() < bytes) {
        if (!rules.empty() && s.size() >= next_hit) {
            s += rules[rng() % rules.size()].sample;
            next_hit = s.size() + 200 + rng() % 200;
        } else {
            s += random_word(rng, 2 + rng() % 8);
        }
        s += ' ';
    }
    s.resize(bytes);
    return s;
}

}  // namespace imsd::bench
