#pragma once

// The imsctl command grammar, shared by the client (help, completion) and the
// server (dispatch). Pure: no I/O.

#include <cstdint>
#include <expected>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace imsd::mgmt::cli {

enum class command_id : uint8_t {
    help,
    show_ports,
    show_stats,
    show_tcp,
    show_connections,
    show_pools,
    show_sessions,
    show_history,
    show_version,
    log_level,
    log_show,
    settings_show,
    settings_validate,
    settings_diff,
    settings_apply,
    user_put,
    user_get,
    user_delete,
    user_list,
    policy_test,
    policy_verdict,
    tcp_source,
    msrp_create,
    msrp_path,
    msrp_release,
    msrp_reports,
    msrp_accept,
    show_msrp_sessions,
    show_msrp_stats,
    show_sip_stats,
    show_msrp_events,
};

struct command_spec {
    command_id id;
    std::vector<std::string_view> words;  // {"show", "stats"}
    std::vector<std::string_view> args;   // positional, e.g. {"<plane>", "<level>"}
    std::vector<std::string_view> flags;  // e.g. {"--per-lcore"}
    bool optional_args = false;           // help takes zero or more words
    bool changes_state = false;           // logged with the caller's credentials
    std::string_view help;
    // Index of the argument naming a file (or "-" for stdin) whose content
    // imsctl reads and sends with the request; -1: none.
    int upload_arg = -1;
};

const std::vector<command_spec>& command_table();

struct parsed_command {
    const command_spec* spec = nullptr;
    std::vector<std::string> args;
    std::set<std::string> flags;
    const std::string* input = nullptr;  // the uploaded file's content, if any
};

// Why a command line did not parse: the message, and the help to show.
struct parse_error {
    std::string message;
    std::string help;
};

// argv without the program name and without global options (--json,
// --socket), which the client handles.
std::expected<parsed_command, parse_error> parse_command(std::span<const std::string> argv);

// "show stats [--per-lcore]"
std::string usage(const command_spec& spec);
// Every command whose words start with `prefix`, one per line with its help.
std::string help_text(std::span<const std::string> prefix = {});

// Words that may follow `typed` (for shell completion).
std::vector<std::string> completions(std::span<const std::string> typed);

}  // namespace imsd::mgmt::cli
