// imsctl: the operator CLI. Parses the command line against the same grammar
// the daemon uses (so typos are caught without a daemon), sends it over the
// UNIX socket, prints the reply, and exits with the reply's code.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "mgmt/cli/commands.hpp"
#include "mgmt/cli/protocol.hpp"

namespace cli = imsd::mgmt::cli;

namespace {

constexpr const char* default_socket = "/run/imsd/imsd.sock";

struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) {
            close(fd);
        }
    }
};

// The content of the file a command uploads ("-": standard input).
std::optional<std::string> read_upload(const std::string& path) {
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        std::cerr << "imsctl: cannot open " << path << ": " << std::strerror(errno) << "\n";
        return std::nullopt;
    }
    std::string data;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0 && data.size() <= cli::max_upload_bytes) {
        data.append(buf, n);
    }
    if (f != stdin) {
        std::fclose(f);
    }
    if (data.size() > cli::max_upload_bytes) {
        std::cerr << "imsctl: " << path << " is larger than " << cli::max_upload_bytes
                  << " bytes\n";
        return std::nullopt;
    }
    return data;
}

int talk(const std::string& path, const std::vector<std::string>& argv, bool json,
         const std::optional<std::string>& input, int timeout_ms) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
        std::cerr << "imsctl: socket path too long: " << path << "\n";
        return cli::exit_usage;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_guard g{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (g.fd < 0 || connect(g.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        std::cerr << "imsctl: cannot reach imsd at " << path << ": " << std::strerror(errno)
                  << (errno == ENOENT || errno == ECONNREFUSED ? " (is imsd running?)"
                      : errno == EACCES ? " (run as root or as a member of the imsd group)"
                                        : "")
                  << "\n";
        return cli::exit_unreachable;
    }
    const std::string req = cli::encode_request(argv, json, input);
    if (send(g.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        std::cerr << "imsctl: cannot send to imsd: " << std::strerror(errno) << "\n";
        return cli::exit_unreachable;
    }
    std::string text;
    char buf[65536];
    for (;;) {
        pollfd p{g.fd, POLLIN, 0};
        int n = poll(&p, 1, timeout_ms);
        if (n == 0) {
            std::cerr << "imsctl: imsd did not answer within " << timeout_ms << " ms\n";
            return cli::exit_unreachable;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ssize_t got = recv(g.fd, buf, sizeof(buf), 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        text.append(buf, static_cast<size_t>(got));
    }
    auto r = cli::decode_reply(text);
    if (!r) {
        std::cerr << "imsctl: " << r.error() << "\n";
        return cli::exit_protocol;
    }
    std::cout << r->out;
    std::cerr << r->err;
    return r->exit;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"imsctl: the operator CLI of imsd, the OMA SIMPLE IM Participating Function"};
    const char* env_socket = std::getenv("IMSD_SOCKET");
    std::string socket_path = env_socket != nullptr ? env_socket : default_socket;
    bool json = false;
    bool complete = false;
    int timeout_ms = 5000;
    app.add_option("-s,--socket", socket_path, "imsd's CLI socket (env IMSD_SOCKET)")
        ->capture_default_str();
    app.add_flag("-j,--json", json, "JSON output for scripts");
    app.add_option("--timeout-ms", timeout_ms, "how long to wait for imsd")
        ->capture_default_str()
        ->check(CLI::Range(1, 600000));
    app.add_flag("--complete", complete, "print the words that may follow (bash completion)");
    app.prefix_command();
    app.footer("commands:\n" + cli::help_text() +
               "\nexit codes: 0 ok, 1 command failed, 2 usage, 3 imsd unreachable, 4 protocol");
    CLI11_PARSE(app, argc, argv);

    std::vector<std::string> words;
    for (auto& w : app.remaining()) {
        if (w == "--json" || w == "-j") {
            json = true;
        } else {
            words.push_back(w);
        }
    }
    if (complete) {
        for (const auto& c : cli::completions(words)) {
            std::cout << c << "\n";
        }
        return cli::exit_ok;
    }
    auto cmd = cli::parse_command(words);
    if (!cmd) {
        std::cerr << "imsctl: " << cmd.error().message << "\n" << cmd.error().help;
        return cli::exit_usage;
    }
    if (cmd->spec->id == cli::command_id::help) {
        std::cout << "imsctl [--json] [--socket PATH] <command>\n\ncommands:\n"
                  << cli::help_text(cmd->args);
        return cli::exit_ok;
    }
    std::optional<std::string> input;
    if (cmd->spec->upload_arg >= 0) {
        input = read_upload(cmd->args.at(static_cast<size_t>(cmd->spec->upload_arg)));
        if (!input) {
            return cli::exit_usage;
        }
    }
    return talk(socket_path, words, json, input, timeout_ms);
}
