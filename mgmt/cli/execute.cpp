#include "mgmt/cli/execute.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "mgmt/cli/render.hpp"
#include "platform/log/log.hpp"

namespace imsd::mgmt::cli {

namespace {

reply ok_text(std::string s) { return reply{exit_ok, std::move(s), {}}; }
reply ok_json(const nlohmann::json& j) { return reply{exit_ok, j.dump(2) + "\n", {}}; }
reply failed(std::string msg) { return reply{exit_failed, {}, std::move(msg) + "\n"}; }

reply show_table(const cli_env& env, const std::string& name, bool json) {
    const auto* fn = env.reg->find_table(name);
    if (fn == nullptr) {
        return failed("no '" + name + "' table in this build");
    }
    platform::table t = (*fn)();
    return json ? ok_json(table_json(t)) : ok_text(render_table(t));
}

reply show_stats(const cli_env& env, bool per_lcore, bool json, const std::string& only = "") {
    nlohmann::json j = nlohmann::json::object();
    std::string text;
    bool found = false;
    for (const auto& g : env.reg->counter_groups()) {
        // "tcp" shows tcp and tcp_states.
        if (!only.empty() && g.name != only && g.name.rfind(only + "_", 0) != 0) {
            continue;
        }
        found = true;
        auto instances = g.read();
        auto total = platform::sum(instances, g.names.size());
        nlohmann::json gj;
        nlohmann::json tj = nlohmann::json::object();
        for (size_t i = 0; i < g.names.size(); ++i) {
            tj[g.names[i]] = total[i];
        }
        gj["total"] = tj;
        platform::table t;
        t.columns = {"counter"};
        if (per_lcore) {
            nlohmann::json lj = nlohmann::json::object();
            for (const auto& inst : instances) {
                t.columns.push_back(inst.label);
                nlohmann::json one = nlohmann::json::object();
                for (size_t i = 0; i < g.names.size() && i < inst.values.size(); ++i) {
                    one[g.names[i]] = inst.values[i];
                }
                lj[std::to_string(inst.id)] = one;
            }
            gj["lcores"] = lj;
            t.columns.push_back("total");
        } else {
            t.columns.push_back("value");
            t.columns.push_back("description");
        }
        for (size_t i = 0; i < g.names.size(); ++i) {
            std::vector<platform::cell> row{g.names[i]};
            if (per_lcore) {
                for (const auto& inst : instances) {
                    row.emplace_back(i < inst.values.size() ? inst.values[i] : 0);
                }
                row.emplace_back(total[i]);
            } else {
                row.emplace_back(total[i]);
                row.emplace_back(g.descriptions[i]);
            }
            t.rows.push_back(std::move(row));
        }
        j[g.name] = gj;
        text += g.name +
                (g.instance.empty() ? std::string()
                                    : " (" + std::to_string(instances.size()) + " " + g.instance +
                                          (instances.size() == 1 ? "" : "s") + ")") +
                "\n" + render_table(t);
    }
    if (!found && !only.empty()) {
        return failed("no " + only + " counters: " +
                      (only == "tcp" ? "TCP is off (no dataplane/tcp service port in the settings)"
                                     : "not in this build"));
    }
    if (json && !only.empty()) {
        // The group itself, with its companions ("tcp_states") inside.
        nlohmann::json out = j[only];
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key() != only) {
                out[it.key()] = it.value();
            }
        }
        return ok_json(out);
    }
    return json ? ok_json(j) : ok_text(text);
}

reply show_version(const cli_env& env, bool json) {
    nlohmann::json v = env.version ? env.version() : nlohmann::json::object();
    if (json) {
        return ok_json(v);
    }
    platform::table t;
    t.columns = {"item", "value"};
    for (auto it = v.begin(); it != v.end(); ++it) {
        t.rows.push_back({it.key(), it->is_string() ? it->get<std::string>() : it->dump()});
    }
    return ok_text(render_table(t));
}

reply log_show(bool json) {
    nlohmann::json j = nlohmann::json::object();
    platform::table t;
    t.columns = {"plane", "level"};
    std::vector<std::string_view> planes(platform::plane_names.begin(),
                                         platform::plane_names.end());
    planes.push_back("dpdk");
    for (auto p : planes) {
        auto lvl = platform::get_level(p);
        std::string name = lvl ? std::string(platform::level_name(*lvl)) : "unknown";
        j[std::string(p)] = name;
        t.rows.push_back({std::string(p), name});
    }
    return json ? ok_json(j) : ok_text(render_table(t));
}

reply log_level(const parsed_command& cmd, bool json) {
    auto prev = platform::set_level(cmd.args[0], cmd.args[1]);
    if (!prev) {
        return failed(prev.error().to_string());
    }
    auto now = platform::get_level(cmd.args[0]);
    std::string from(platform::level_name(*prev));
    std::string to(platform::level_name(now ? *now : 0));
    if (json) {
        return ok_json({{"plane", cmd.args[0]}, {"previous", from}, {"level", to}});
    }
    return ok_text("log level of " + cmd.args[0] + ": " + from + " -> " + to + "\n");
}

reply not_here(const char* what) {
    return failed(std::string("this imsd has no ") + what + " (started without it)");
}

std::string input_name(const parsed_command& cmd) {
    return cmd.args.at(static_cast<size_t>(cmd.spec->upload_arg));
}

// The uploaded document, or an error reply when the request carried none.
const std::string* input_of(const parsed_command& cmd, reply& err) {
    if (cmd.input == nullptr) {
        err = reply{exit_usage,
                    {},
                    "imsd: this command needs the file's content (imsctl sends "
                    "it; raw clients put it in \"input\")\n"};
    }
    return cmd.input;
}

platform::table changes_table(const std::vector<setting_change>& changes) {
    platform::table t;
    t.columns = {"setting", "live", "file", "applies"};
    for (const auto& c : changes) {
        t.rows.push_back({c.path, c.before.empty() ? "-" : c.before,
                          c.after.empty() ? "-" : c.after,
                          std::string(c.needs_restart ? "restart" : "live")});
    }
    return t;
}

nlohmann::json changes_json(const std::vector<setting_change>& changes) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : changes) {
        a.push_back({{"setting", c.path},
                     {"live", c.before},
                     {"file", c.after},
                     {"needs_restart", c.needs_restart}});
    }
    return a;
}

size_t restart_count(const std::vector<setting_change>& changes) {
    return static_cast<size_t>(std::count_if(changes.begin(), changes.end(),
                                             [](const auto& c) { return c.needs_restart; }));
}

reply settings_show(const cli_env& env, bool json) {
    auto live = env.settings->current();
    auto flat = flatten(live->settings);
    if (json) {
        return ok_json({{"generation", live->generation},
                        {"source", live->settings.source},
                        {"applied_by", live->applied_by},
                        {"content_rules", live->rules->rule_count()},
                        {"settings", flat}});
    }
    platform::table t;
    t.columns = {"setting", "value"};
    for (const auto& [k, v] : flat) {
        t.rows.push_back({k, v});
    }
    return ok_text("generation " + std::to_string(live->generation) + " from " +
                   live->settings.source + " (applied by " + live->applied_by + "), " +
                   std::to_string(live->rules->rule_count()) + " content rule(s), " +
                   std::to_string(live->rules->database_bytes()) +
                   " bytes of Hyperscan database\n" + render_table(t));
}

reply settings_check(const parsed_command& cmd, const cli_env& env, bool json, bool diff_only) {
    reply err;
    const std::string* text = input_of(cmd, err);
    if (text == nullptr) {
        return err;
    }
    auto out = env.settings->check(*text, input_name(cmd));
    if (!out) {
        return failed(out.error().to_string());
    }
    const size_t restart = restart_count(out->changes);
    if (json) {
        nlohmann::json j = {{"valid", true},
                            {"changes", changes_json(out->changes)},
                            {"needs_restart", restart > 0}};
        return ok_json(j);
    }
    std::string head =
        diff_only
            ? (out->changes.empty() ? "no differences from the live settings\n" : "")
            : input_name(cmd) + ": valid; " + std::to_string(out->changes.size()) +
                  " change(s) from the live settings" +
                  (restart > 0 ? ", " + std::to_string(restart) + " need a restart" : "") + "\n";
    return ok_text(head + (out->changes.empty() ? "" : render_table(changes_table(out->changes))));
}

reply settings_apply(const parsed_command& cmd, const cli_env& env, bool json,
                     const std::string& caller) {
    reply err;
    const std::string* text = input_of(cmd, err);
    if (text == nullptr) {
        return err;
    }
    auto out = env.settings->apply(*text, input_name(cmd), caller);
    if (!out) {
        return failed(out.error().to_string());
    }
    if (json) {
        return ok_json({{"applied", !out->changes.empty()},
                        {"generation", out->generation},
                        {"changes", changes_json(out->changes)}});
    }
    if (out->changes.empty()) {
        return ok_text("no change: generation " + std::to_string(out->generation) +
                       " stays in force\n");
    }
    return ok_text("applied: generation " + std::to_string(out->generation) + ", " +
                   std::to_string(out->changes.size()) + " change(s)\n" +
                   render_table(changes_table(out->changes)));
}

std::expected<doc_kind, reply> kind_arg(const std::string& s) {
    auto k = parse_doc_kind(s);
    if (!k) {
        return std::unexpected(
            reply{exit_usage,
                  {},
                  "imsctl: unknown document '" + s + "' (service-settings or shared-policy)\n"});
    }
    return *k;
}

reply user_cmd(const parsed_command& cmd, const cli_env& env, bool json,
               const std::string& caller) {
    if (cmd.spec->id == command_id::user_list) {
        nlohmann::json j = nlohmann::json::array();
        platform::table t;
        t.columns = {"user", "service-settings", "shared-policy", "isb",
                     "ipab", "history",          "rules"};
        for (const auto& uri : env.users->users()) {
            auto d = env.users->find(uri);
            if (!d) {
                continue;
            }
            auto yn = [](bool b) { return std::string(b ? "yes" : "no"); };
            const bool s = d->settings.has_value();
            t.rows.push_back(
                {uri, yn(s), yn(d->policy.has_value()), s ? yn(d->settings->isb_active) : "-",
                 s ? yn(d->settings->ipab_active) : "-", s ? yn(d->settings->history_active) : "-",
                 uint64_t{d->policy ? d->policy->rules.size() : 0}});
            j.push_back({{"user", uri},
                         {"service_settings", s},
                         {"shared_policy", d->policy.has_value()},
                         {"isb_active", s && d->settings->isb_active},
                         {"ipab_active", s && d->settings->ipab_active},
                         {"history_active", s && d->settings->history_active},
                         {"rules", d->policy ? d->policy->rules.size() : 0}});
        }
        return json ? ok_json(j) : ok_text(render_table(t));
    }
    auto kind = kind_arg(cmd.args[1]);
    if (!kind) {
        return kind.error();
    }
    const std::string& uri = cmd.args[0];
    const std::string kind_name(doc_kind_name(*kind));
    switch (cmd.spec->id) {
        case command_id::user_put: {
            reply err;
            const std::string* text = input_of(cmd, err);
            if (text == nullptr) {
                return err;
            }
            auto v = env.users->put(uri, *kind, *text, input_name(cmd));
            if (!v) {
                return failed(v.error().to_string());
            }
            IMSD_LOG(mgmt, NOTICE, "user {} {} version {} stored by {}", uri, kind_name, *v,
                     caller);
            if (json) {
                return ok_json({{"user", uri}, {"document", kind_name}, {"version", *v}});
            }
            return ok_text("stored " + kind_name + " of " + uri + " (version " +
                           std::to_string(*v) + "), in force now\n");
        }
        case command_id::user_get: {
            auto r = env.users->get(uri, *kind);
            if (!r) {
                return failed(r.error().to_string());
            }
            if (!*r) {
                return failed("no " + kind_name + " document for " + uri);
            }
            if (json) {
                return ok_json({{"user", uri},
                                {"document", kind_name},
                                {"version", (*r)->version},
                                {"xml", (*r)->value}});
            }
            std::string text = (*r)->value;
            return ok_text(text.ends_with("\n") ? text : text + "\n");
        }
        case command_id::user_delete: {
            auto r = env.users->remove(uri, *kind);
            if (!r) {
                return failed(r.error().to_string());
            }
            if (!*r) {
                return failed("no " + kind_name + " document for " + uri);
            }
            IMSD_LOG(mgmt, NOTICE, "user {} {} removed by {}", uri, kind_name, caller);
            return json ? ok_json({{"user", uri}, {"document", kind_name}, {"removed", true}})
                        : ok_text("removed " + kind_name + " of " + uri + "\n");
        }
        default:
            break;
    }
    return failed("command not handled");
}

reply policy_test(const parsed_command& cmd, const cli_env& env, bool json) {
    reply err;
    const std::string* text = input_of(cmd, err);
    if (text == nullptr) {
        return err;
    }
    auto live = env.settings->current();
    auto r = live->rules->scan(*text);
    if (!r) {
        return failed(r.error().to_string());
    }
    if (json) {
        nlohmann::json m = nlohmann::json::array();
        for (const auto& x : r->matches) {
            m.push_back({{"id", x.id},
                         {"action", std::string(action_name(x.action))},
                         {"description", x.description}});
        }
        return ok_json({{"verdict", std::string(verdict_name(r->verdict))},
                        {"matches", m},
                        {"rules", live->rules->rule_count()},
                        {"generation", live->generation}});
    }
    platform::table t;
    t.columns = {"rule", "action", "description"};
    for (const auto& x : r->matches) {
        t.rows.push_back({uint64_t{x.id}, std::string(action_name(x.action)), x.description});
    }
    return ok_text("verdict: " + std::string(verdict_name(r->verdict)) + " (" +
                   std::to_string(r->matches.size()) + " of " +
                   std::to_string(live->rules->rule_count()) + " rules match, generation " +
                   std::to_string(live->generation) + ")\n" +
                   (r->matches.empty() ? "" : render_table(t)));
}

reply policy_verdict(const parsed_command& cmd, const cli_env& env, bool json) {
    auto kind = parse_im_request(cmd.args[2]);
    if (!kind) {
        return reply{exit_usage,
                     {},
                     "imsctl: unknown request kind '" + cmd.args[2] +
                         "' (session, pager, large-message, file-transfer)\n"};
    }
    if (auto uri = check_user_uri(cmd.args[0]); !uri) {
        return failed(uri.error().to_string());
    }
    const int64_t now = env.now_s ? env.now_s()
                                  : std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
    auto v = env.users->verdict(cmd.args[0],
                                {cmd.args[1], cmd.flags.contains("--anonymous"), *kind, now});
    if (json) {
        return ok_json({{"allowed", v.allowed},
                        {"status", v.status},
                        {"step", v.step},
                        {"reason", v.reason},
                        {"matched_rules", v.matched_rules}});
    }
    std::string rules;
    for (const auto& r : v.matched_rules) {
        rules += (rules.empty() ? "" : ", ") + r;
    }
    std::string text =
        v.allowed ? "allowed"
                  : "rejected: " + std::to_string(v.status) + " (" + v.step + ") " + v.reason;
    return ok_text(text + (rules.empty() ? "" : "\nmatched rules: " + rules) + "\n");
}

// show connections [state=S|port=N|remote=IP]...: all filters must hold.
reply show_connections(const parsed_command& cmd, const cli_env& env, bool json) {
    struct filter {
        std::string column;
        std::string value;
    };
    std::vector<filter> filters;
    for (const auto& a : cmd.args) {
        auto eq = a.find('=');
        std::string key = eq == std::string::npos ? "" : a.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
        if ((key != "state" && key != "port" && key != "remote") || value.empty()) {
            return reply{exit_usage,
                         {},
                         "imsctl: unknown filter '" + a +
                             "' (state=ESTABLISHED, port=7, remote=198.18.0.2)\n"};
        }
        filters.push_back({key, value});
    }
    auto t = env.connections();
    if (!t) {
        return failed(t.error().to_string());
    }
    auto col = [&](const std::string& name) {
        return static_cast<size_t>(std::find(t->columns.begin(), t->columns.end(), name) -
                                   t->columns.begin());
    };
    auto text = [](const platform::cell& c) {
        if (const auto* s = std::get_if<std::string>(&c)) {
            return *s;
        }
        if (const auto* u = std::get_if<uint64_t>(&c)) {
            return std::to_string(*u);
        }
        return std::to_string(std::get<int64_t>(c));
    };
    platform::table out{t->columns, {}};
    for (auto& row : t->rows) {
        bool keep = true;
        for (const auto& f : filters) {
            if (f.column == "state") {
                keep = keep && text(row[col("state")]) == f.value;
            } else if (f.column == "port") {
                keep = keep && (text(row[col("local_port")]) == f.value ||
                                text(row[col("remote_port")]) == f.value);
            } else {
                keep = keep && text(row[col("remote")]) == f.value;
            }
        }
        if (keep) {
            out.rows.push_back(std::move(row));
        }
    }
    if (json) {
        return ok_json(table_json(out));
    }
    return ok_text(std::to_string(out.rows.size()) + " connection(s)\n" +
                   (out.rows.empty() ? "" : render_table(out)));
}

reply tcp_source(const parsed_command& cmd, const cli_env& env, bool json) {
    in_addr a{};
    uint32_t port = 0;
    uint64_t bytes = 0;
    auto num = [](const std::string& s, auto& v) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc{} && p == s.data() + s.size();
    };
    if (inet_pton(AF_INET, cmd.args[0].c_str(), &a) != 1 || !num(cmd.args[1], port) || port == 0 ||
        port > 65535 || !num(cmd.args[2], bytes)) {
        return reply{exit_usage,
                     {},
                     "imsctl: usage: " + usage(*cmd.spec) +
                         " (an IPv4 address, a port 1-65535, a byte count)\n"};
    }
    auto lcore = env.tcp_source(a.s_addr, static_cast<uint16_t>(port), bytes);
    if (!lcore) {
        return failed(lcore.error().to_string());
    }
    if (json) {
        return ok_json(
            {{"lcore", *lcore}, {"remote", cmd.args[0]}, {"port", port}, {"bytes", bytes}});
    }
    return ok_text("lcore " + std::to_string(*lcore) + " connects to " + cmd.args[0] + ":" +
                   cmd.args[1] + " to send " + cmd.args[2] +
                   " bytes; the outcome is in 'imsctl show tcp' (source_completed, "
                   "source_failed)\n");
}

uint32_t session_id(const std::string& s, bool& ok) {
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    ok = ec == std::errc{} && p == s.data() + s.size() && v != 0;
    return v;
}

reply msrp_command(const parsed_command& cmd, const cli_env& env, bool json) {
    switch (cmd.spec->id) {
        case command_id::msrp_create: {
            auto r = env.msrp_create();
            if (!r) {
                return failed(r.error().to_string());
            }
            if (json) {
                return ok_json(*r);
            }
            return ok_text("session " + std::to_string((*r)["id"].get<uint32_t>()) +
                           "\n  a: " + (*r)["uri_a"].get<std::string>() +
                           "\n  b: " + (*r)["uri_b"].get<std::string>() + "\n");
        }
        case command_id::msrp_path: {
            bool ok = false;
            const uint32_t id = session_id(cmd.args[0], ok);
            const std::string& leg = cmd.args[1];
            const std::string& mode = cmd.args[3];
            if (!ok || (leg != "a" && leg != "b") || (mode != "active" && mode != "passive") ||
                cmd.args[2].empty()) {
                return reply{exit_usage,
                             {},
                             "imsctl: usage: " + usage(*cmd.spec) +
                                 " (a session id, leg a or b, the peer's MSRP path, who "
                                 "connects)\n"};
            }
            auto r = env.msrp_path(id, leg == "a" ? 0 : 1, cmd.args[2], mode == "active");
            if (!r) {
                return failed(r.error().to_string());
            }
            return json ? ok_json({{"id", id}, {"leg", leg}, {"path", cmd.args[2]}})
                        : ok_text("session " + cmd.args[0] + " leg " + leg + ": path set (" + mode +
                                  ")\n");
        }
        case command_id::msrp_reports: {
            bool ok = false;
            const uint32_t id = session_id(cmd.args[0], ok);
            const std::string& leg = cmd.args[1];
            if (!ok || (leg != "a" && leg != "b" && leg != "off")) {
                return reply{exit_usage, {}, "imsctl: usage: " + usage(*cmd.spec) + "\n"};
            }
            auto r = env.msrp_reports(id, leg == "a" ? 0 : leg == "b" ? 1 : -1);
            if (!r) {
                return failed(r.error().to_string());
            }
            return json ? ok_json({{"id", id}, {"reports", leg}})
                        : ok_text("session " + cmd.args[0] + ": sent counts " +
                                  (leg == "off" ? std::string("off") : "on leg " + leg) + "\n");
        }
        case command_id::msrp_accept: {
            bool ok = false;
            const uint32_t id = session_id(cmd.args[0], ok);
            uint64_t max = 0;
            const std::string& ms = cmd.args[3];
            const bool max_ok =
                !ms.empty() &&
                std::from_chars(ms.data(), ms.data() + ms.size(), max).ec == std::errc{} &&
                std::from_chars(ms.data(), ms.data() + ms.size(), max).ptr == ms.data() + ms.size();
            if (!ok || !max_ok || !env.msrp_accept) {
                return reply{exit_usage, {}, "imsctl: usage: " + usage(*cmd.spec) + "\n"};
            }
            // Comma- or space-separated on the command line, space-separated
            // as in SDP for the relay.
            auto list = [](std::string v, const char* none) {
                if (v == none) {
                    return std::string();
                }
                std::replace(v.begin(), v.end(), ',', ' ');
                return v;
            };
            const std::string types = list(cmd.args[1], "*");
            const std::string wrapped = list(cmd.args[2], "-");
            auto r = env.msrp_accept(id, types, wrapped, max);
            if (!r) {
                return failed(r.error().to_string());
            }
            return json ? ok_json({{"id", id},
                                   {"accept_types", types},
                                   {"accept_wrapped_types", wrapped},
                                   {"max_size", max}})
                        : ok_text("session " + cmd.args[0] + ": accept-types " +
                                  (types.empty() ? "any" : types) + ", wrapped " +
                                  (wrapped.empty() ? "as accept-types" : wrapped) + ", max-size " +
                                  (max == 0 ? "none" : std::to_string(max)) + "\n");
        }
        case command_id::msrp_release: {
            bool ok = false;
            const uint32_t id = session_id(cmd.args[0], ok);
            if (!ok) {
                return reply{exit_usage, {}, "imsctl: usage: " + usage(*cmd.spec) + "\n"};
            }
            auto r = env.msrp_release(id);
            if (!r) {
                return failed(r.error().to_string());
            }
            return json ? ok_json({{"released", id}})
                        : ok_text("session " + cmd.args[0] + " released\n");
        }
        default: {
            auto t = env.msrp_sessions();
            if (!t) {
                return failed(t.error().to_string());
            }
            return json ? ok_json(table_json(*t)) : ok_text(render_table(*t));
        }
    }
}

}  // namespace

reply execute(const parsed_command& cmd, bool json, const cli_env& env, const std::string& caller) {
    switch (cmd.spec->id) {
        case command_id::help:
            return ok_text("imsctl [--json] [--socket PATH] <command>\n\ncommands:\n" +
                           help_text(cmd.args));
        case command_id::show_ports:
            return show_table(env, "ports", json);
        case command_id::show_pools:
            return show_table(env, "pools", json);
        case command_id::show_history: {
            auto rows = env.store != nullptr
                            ? env.store->scan("history/" + cmd.args[0] + "/", 1000)
                            : std::expected<std::vector<platform::record>, platform::error>{};
            if (!rows) {
                return failed(rows.error().to_string());
            }
            platform::table t;
            t.columns = {"started_ms", "ended_ms", "direction", "from",
                         "to",         "ended_by", "call_id"};
            nlohmann::json all = nlohmann::json::array();
            for (const auto& r : *rows) {
                auto j = nlohmann::json::parse(r.value, nullptr, false);
                if (j.is_discarded()) {
                    continue;
                }
                all.push_back(j);
                t.rows.push_back(
                    {j.value("started_ms", int64_t{0}), j.value("ended_ms", int64_t{0}),
                     j.value("direction", std::string()), j.value("from", std::string()),
                     j.value("to", std::string()), j.value("ended_by", std::string("-")),
                     j.value("call_id", std::string())});
            }
            return json ? ok_json(all) : ok_text(render_table(t));
        }
        case command_id::show_sessions:
            return env.reg->find_table("sessions") != nullptr ? show_table(env, "sessions", json)
                                                              : not_here("SIP (dataplane/sip)");
        case command_id::show_stats:
            return show_stats(env, cmd.flags.contains("--per-lcore"), json);
        case command_id::show_connections:
            return env.connections ? show_connections(cmd, env, json) : not_here("dataplane TCP");
        case command_id::show_tcp:
            return show_stats(env, cmd.flags.contains("--per-lcore"), json, "tcp");
        case command_id::show_version:
            return show_version(env, json);
        case command_id::log_level:
            return log_level(cmd, json);
        case command_id::log_show:
            return log_show(json);
        case command_id::settings_show:
            return env.settings ? settings_show(env, json) : not_here("settings runtime");
        case command_id::settings_validate:
        case command_id::settings_diff:
            return env.settings
                       ? settings_check(cmd, env, json, cmd.spec->id == command_id::settings_diff)
                       : not_here("settings runtime");
        case command_id::settings_apply:
            return env.settings ? settings_apply(cmd, env, json, caller)
                                : not_here("settings runtime");
        case command_id::user_put:
        case command_id::user_get:
        case command_id::user_delete:
        case command_id::user_list:
            return env.users ? user_cmd(cmd, env, json, caller) : not_here("user directory");
        case command_id::policy_test:
            return env.settings ? policy_test(cmd, env, json) : not_here("settings runtime");
        case command_id::policy_verdict:
            return env.users ? policy_verdict(cmd, env, json) : not_here("user directory");
        case command_id::msrp_create:
        case command_id::msrp_path:
        case command_id::msrp_release:
        case command_id::msrp_reports:
        case command_id::msrp_accept:
        case command_id::show_msrp_sessions:
            return env.msrp_create ? msrp_command(cmd, env, json)
                                   : not_here("dataplane MSRP relay");
        case command_id::show_msrp_events: {
            if (!env.msrp_events) {
                return not_here("dataplane MSRP relay");
            }
            auto t = env.msrp_events();
            if (!t) {
                return failed(t.error().to_string());
            }
            return json ? ok_json(table_json(*t)) : ok_text(render_table(*t));
        }
        case command_id::show_msrp_stats:
            return show_stats(env, cmd.flags.contains("--per-lcore"), json, "msrp");
        case command_id::show_sip_stats:
            return show_stats(env, cmd.flags.contains("--per-lcore"), json, "sip");
        case command_id::tcp_source:
            return env.tcp_source ? tcp_source(cmd, env, json) : not_here("dataplane TCP");
    }
    return failed("command not handled");
}

reply execute_argv(std::span<const std::string> argv, bool json, const cli_env& env,
                   const std::string* input) {
    auto cmd = parse_command(argv);
    if (!cmd) {
        return reply{exit_usage, {}, "imsctl: " + cmd.error().message + "\n" + cmd.error().help};
    }
    cmd->input = input;
    return execute(*cmd, json, env);
}

}  // namespace imsd::mgmt::cli
