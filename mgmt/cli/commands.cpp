#include "mgmt/cli/commands.hpp"

#include <algorithm>

namespace imsd::mgmt::cli {

const std::vector<command_spec>& command_table() {
    using id = command_id;
    // One line per command reads better than clang-format's one field per line.
    // clang-format off
    static const std::vector<command_spec> table = {
        {id::help, {"help"}, {"[command...]"}, {}, true, false,
         "list the commands, or those starting with the given words"},
        {id::show_ports, {"show", "ports"}, {}, {}, false, false,
         "ports: device, driver, MAC, link, addresses, NIC counters"},
        {id::show_stats, {"show", "stats"}, {}, {"--per-lcore"}, false, false,
         "dataplane counters summed over lcores (--per-lcore: one column per lcore)"},
        {id::show_tcp, {"show", "tcp"}, {}, {"--per-lcore"}, false, false,
         "TCP counters: segments, retransmissions, connections, drops by reason"},
        {id::show_connections, {"show", "connections"}, {"[state=S|port=N|remote=IP]..."}, {},
         true, false, "TCP connections of every lcore, optionally filtered"},
        {id::show_pools, {"show", "pools"}, {}, {}, false, false,
         "mbuf pools: size, free and in-use objects"},
        {id::show_version, {"show", "version"}, {}, {}, false, false,
         "imsd and library versions, node, uptime, settings source, TSC rate"},
        {id::log_level, {"log", "level"}, {"<plane>", "<level>"}, {}, false, true,
         "set the log level of a plane (platform, dataplane, sigplane, mgmt, dpdk) to emerg..debug"},
        {id::log_show, {"log", "show"}, {}, {}, false, false,
         "the log level of every plane"},
        {id::settings_show, {"settings", "show"}, {}, {}, false, false,
         "every setting in force (defaults included), its generation and source"},
        {id::settings_validate, {"settings", "validate"}, {"<file>"}, {}, false, false,
         "check a settings document (schema, rules, Hyperscan) without applying it", 0},
        {id::settings_diff, {"settings", "diff"}, {"<file>"}, {}, false, false,
         "what applying a settings document would change, and what needs a restart", 0},
        {id::settings_apply, {"settings", "apply"}, {"<file>"}, {}, false, true,
         "validate and apply a settings document live; an invalid one changes nothing", 0},
        {id::user_put, {"user", "put"}, {"<uri>", "<service-settings|shared-policy>", "<file>"},
         {}, false, true, "store a user's document and apply it at once", 2},
        {id::user_get, {"user", "get"}, {"<uri>", "<service-settings|shared-policy>"}, {},
         false, false, "print a user's stored document"},
        {id::user_delete, {"user", "delete"}, {"<uri>", "<service-settings|shared-policy>"}, {},
         false, true, "remove a user's document"},
        {id::user_list, {"user", "list"}, {}, {}, false, false,
         "users with documents, and which ones"},
        {id::policy_test, {"policy", "test"}, {"<file|->"}, {}, false, false,
         "scan a text with the live content rules and show which match", 0},
        {id::policy_verdict, {"policy", "verdict"},
         {"<recipient>", "<sender>", "<session|pager|large-message|file-transfer>"},
         {"--anonymous"}, false, false,
         "the terminating verdict of the recipient's documents (6.1.2.1 steps 1-2)"},
        {id::tcp_source, {"tcp", "source"}, {"<ipv4>", "<port>", "<bytes>"}, {}, false, true,
         "open a TCP connection from the dataplane and send <bytes> of the lab pattern "
         "(outcome: show tcp)"},
        {id::msrp_create, {"msrp", "create"}, {}, {}, false, true,
         "create an MSRP relay session; prints its id and imsd's URI on each leg (a, b)"},
        {id::msrp_path, {"msrp", "path"}, {"<id>", "<a|b>", "<path>", "<active|passive>"}, {},
         false, true,
         "set a leg's peer path (quote several URIs as one argument) and who connects"},
        {id::msrp_reports, {"msrp", "reports"}, {"<id>", "<a|b|off>"}, {}, false, true,
         "ask for delivery reports with sent counts on the served client's leg (OMA IM 6.1.1.2.2)"},
        {id::msrp_accept, {"msrp", "accept"}, {"<id>", "<types|*>", "<wrapped-types|->", "<max-size>"},
         {}, false, true,
         "the session's SDP limits (RFC 4975 8.6): a=accept-types and a=accept-wrapped-types "
         "(comma-separated; * any, - as accept-types) and a=max-size in bytes (0: none); "
         "refused chunks get 415 / 413"},
        {id::msrp_release, {"msrp", "release"}, {"<id>"}, {}, false, true,
         "release a session: both legs closed once what is queued went out"},
        {id::show_msrp_sessions, {"show", "msrp", "sessions"}, {}, {}, false, false,
         "MSRP relay sessions: URIs, peer paths, connected legs, traffic"},
        {id::show_msrp_events, {"show", "msrp", "events"}, {}, {}, false, false,
         "the relay's latest events to the sigplane (legs connected / closed and why, "
         "a record per message with its verdict, Distribution-Counts, session totals)"},
        {id::show_sip_stats, {"show", "sip", "stats"}, {}, {"--per-lcore"}, false, false,
         "SIP counters: the dataplane's (datagrams framed, policed, punted, drops by reason) "
         "and the agent's (requests, checks refused by status, forwarded, sessions)"},
        {id::show_history, {"show", "history"}, {"<uri>"}, {}, false, false,
         "a user's history records (IM Sessions in the media path while their history "
         "setting is on): start, end, direction, parties"},
        {id::show_sessions, {"show", "sessions"}, {}, {}, false, false,
         "live IM sessions: Call-ID, mode (proxy / B2BUA), media path, direction, user, age"},
        {id::show_msrp_stats, {"show", "msrp", "stats"}, {}, {"--per-lcore"}, false, false,
         "MSRP relay counters: relayed requests and bytes, responses, errors by reason"},
    };
    // clang-format on
    return table;
}

std::string usage(const command_spec& spec) {
    std::string u;
    for (auto w : spec.words) {
        u += (u.empty() ? "" : " ") + std::string(w);
    }
    for (auto a : spec.args) {
        u += " " + std::string(a);
    }
    for (auto f : spec.flags) {
        u += " [" + std::string(f) + "]";
    }
    return u;
}

namespace {

bool starts_with_words(const command_spec& spec, std::span<const std::string> prefix) {
    if (prefix.size() > spec.words.size()) {
        return false;
    }
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (spec.words[i] != prefix[i]) {
            return false;
        }
    }
    return true;
}

std::string join(std::span<const std::string> words) {
    std::string s;
    for (const auto& w : words) {
        s += (s.empty() ? "" : " ") + w;
    }
    return s;
}

}  // namespace

std::string help_text(std::span<const std::string> prefix) {
    std::vector<const command_spec*> match;
    size_t width = 0;
    for (const auto& spec : command_table()) {
        if (starts_with_words(spec, prefix)) {
            match.push_back(&spec);
            width = std::max(width, usage(spec).size());
        }
    }
    std::string out;
    for (const auto* spec : match) {
        std::string u = usage(*spec);
        out += "  " + u + std::string(width - u.size() + 2, ' ') + std::string(spec->help) + "\n";
    }
    return out;
}

std::expected<parsed_command, parse_error> parse_command(std::span<const std::string> argv) {
    if (argv.empty()) {
        return std::unexpected(parse_error{"no command given", help_text()});
    }
    // The longest run of leading words that names a command.
    const command_spec* best = nullptr;
    for (const auto& spec : command_table()) {
        if (spec.words.size() <= argv.size() &&
            starts_with_words(spec, argv.first(spec.words.size()))) {
            if (best == nullptr || spec.words.size() > best->words.size()) {
                best = &spec;
            }
        }
    }
    if (best == nullptr) {
        // Help for the longest prefix that some command shares.
        size_t known = 0;
        for (size_t n = argv.size(); n > 0 && known == 0; --n) {
            for (const auto& spec : command_table()) {
                if (starts_with_words(spec, argv.first(n))) {
                    known = n;
                    break;
                }
            }
        }
        auto prefix = argv.first(known);
        return std::unexpected(parse_error{
            "unknown command '" + join(argv.first(std::min(argv.size(), known + 1))) + "'",
            help_text(prefix)});
    }
    parsed_command pc;
    pc.spec = best;
    for (const auto& tok : argv.subspan(best->words.size())) {
        if (tok.starts_with("--")) {
            if (std::find(best->flags.begin(), best->flags.end(), tok) == best->flags.end()) {
                return std::unexpected(parse_error{
                    "unknown option '" + tok + "' for '" + usage(*best) + "'",
                    help_text(std::vector<std::string>(best->words.begin(), best->words.end()))});
            }
            pc.flags.insert(tok);
        } else {
            pc.args.push_back(tok);
        }
    }
    if (!best->optional_args && pc.args.size() != best->args.size()) {
        return std::unexpected(parse_error{
            std::string(pc.args.size() < best->args.size() ? "missing" : "unexpected") +
                " argument: usage: " + usage(*best),
            help_text(std::vector<std::string>(best->words.begin(), best->words.end()))});
    }
    return pc;
}

std::vector<std::string> completions(std::span<const std::string> typed) {
    std::set<std::string> out;
    for (const auto& spec : command_table()) {
        if (!starts_with_words(spec, typed)) {
            if (typed.size() > spec.words.size() &&
                starts_with_words(spec, typed.first(spec.words.size()))) {
                for (auto f : spec.flags) {
                    out.emplace(f);
                }
            }
            continue;
        }
        if (typed.size() < spec.words.size()) {
            out.emplace(spec.words[typed.size()]);
        } else {
            for (auto f : spec.flags) {
                out.emplace(f);
            }
        }
    }
    return {out.begin(), out.end()};
}

}  // namespace imsd::mgmt::cli
