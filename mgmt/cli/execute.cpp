#include "mgmt/cli/execute.hpp"

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

reply show_stats(const cli_env& env, bool per_lcore, bool json) {
    nlohmann::json j = nlohmann::json::object();
    std::string text;
    for (const auto& g : env.reg->counter_groups()) {
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
        text += g.name + " (" + std::to_string(instances.size()) + " lcore" +
                (instances.size() == 1 ? "" : "s") + ")\n" + render_table(t);
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

}  // namespace

reply execute(const parsed_command& cmd, bool json, const cli_env& env) {
    switch (cmd.spec->id) {
        case command_id::help:
            return ok_text("imsctl [--json] [--socket PATH] <command>\n\ncommands:\n" +
                           help_text(cmd.args));
        case command_id::show_ports:
            return show_table(env, "ports", json);
        case command_id::show_pools:
            return show_table(env, "pools", json);
        case command_id::show_stats:
            return show_stats(env, cmd.flags.contains("--per-lcore"), json);
        case command_id::show_version:
            return show_version(env, json);
        case command_id::log_level:
            return log_level(cmd, json);
        case command_id::log_show:
            return log_show(json);
    }
    return failed("command not handled");
}

reply execute_argv(std::span<const std::string> argv, bool json, const cli_env& env) {
    auto cmd = parse_command(argv);
    if (!cmd) {
        return reply{exit_usage, {}, "imsctl: " + cmd.error().message + "\n" + cmd.error().help};
    }
    return execute(*cmd, json, env);
}

}  // namespace imsd::mgmt::cli
