// policy_corpus rules <literals|regex>          the rules as a settings <content-rules> element
// policy_corpus corpus <literals|regex> <bytes>  the matching high-match text, on stdout
// (bench/msrp_relay_bench.sh: the relay scanning with the rules of bench_dp_policy.)

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/support/policy_corpus.hpp"

int main(int argc, char** argv) {
    const std::string what = argc > 2 ? argv[1] : "";
    const std::string kind = argc > 2 ? argv[2] : "";
    if ((what != "rules" && what != "corpus") || (kind != "literals" && kind != "regex")) {
        std::fprintf(stderr, "usage: policy_corpus rules|corpus literals|regex [bytes]\n");
        return 2;
    }
    const auto rules = imsd::bench::make_rules(kind, kind == "literals" ? 100 : 1000);
    if (what == "rules") {
        std::printf("<content-rules>\n");
        for (size_t i = 0; i < rules.size(); ++i) {
            std::printf("  <rule id=\"%zu\" action=\"count\"><expression>%s</expression></rule>\n",
                        i + 1, rules[i].expression.c_str());
        }
        std::printf("</content-rules>\n");
        return 0;
    }
    const size_t bytes = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : (1u << 20);
    const std::string c = imsd::bench::make_corpus(rules, bytes);
    std::fwrite(c.data(), 1, c.size(), stdout);
    return 0;
}
