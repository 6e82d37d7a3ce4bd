// ktcp: the kernel side of bench/memif_vs_kernel.sh: the same workloads as
// imsgen and imsd's echo / sink services, on Linux sockets, so both stacks
// are measured on the same work in the same run.
//   ktcp server <port> echo|sink            (runs until SIGTERM)
//   ktcp bulk <ip> <port> <bytes>           one connection, writes then closes
//   ktcp rr <ip> <port> <conns> <messages> <size>
//   ktcp churn <ip> <port> <messages> <size>   connect, one exchange, close
//   ktcp msrp-server <port>                 answers every MSRP SEND with 200
//   ktcp msrp-client <ip> <port> <messages> <size> <window>
//       SENDs with `window` outstanding, through a kernel relay (HAProxy);
//       both ends frame MSRP with imsd's own parser (dataplane/msrp)
// Clients print one JSON line with the elapsed seconds and their own CPU
// seconds (getrusage); the script reads the server's from /proc.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench/support/cpu_time.hpp"
#include "dataplane/msrp/parser.hpp"

namespace {

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

sockaddr_in address(const char* ip, int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
        die("address");
    }
    return a;
}

void no_delay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int connect_to(const sockaddr_in& a) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        die("socket");
    }
    no_delay(fd);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
        die("connect");
    }
    return fd;
}

bool read_exact(int fd, char* buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) {
            return false;
        }
        got += static_cast<size_t>(r);
    }
    return true;
}

bool write_all(int fd, const char* buf, size_t n) {
    size_t put = 0;
    while (put < n) {
        ssize_t w = write(fd, buf + put, n - put);
        if (w <= 0) {
            return false;
        }
        put += static_cast<size_t>(w);
    }
    return true;
}

// An epoll server: echo writes back what it reads (blocking writes are fine
// for the benchmark's request sizes), sink discards.
// A listening socket on every address, or die.
int listen_on(int port, int backlog) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(lfd, backlog) != 0) {
        die("bind/listen");
    }
    return lfd;
}

int server(int port, bool echo) {
    int lfd = listen_on(port, 4096);
    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::printf("listening\n");
    std::fflush(stdout);
    std::vector<char> buf(1 << 20);
    epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int c = accept(lfd, nullptr, nullptr);
                if (c >= 0) {
                    no_delay(c);
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            ssize_t r = read(fd, buf.data(), buf.size());
            if (r <= 0) {
                close(fd);
                continue;
            }
            if (echo && !write_all(fd, buf.data(), static_cast<size_t>(r))) {
                close(fd);
            }
        }
    }
}

// MSRP over a blocking socket: the peer of a relay, on imsd's parser.
struct msrp_end : imsd::dp::msrp::sink {
    int fd = -1;
    bool server = false;
    std::string out;  // responses to write after a read
    uint64_t answered = 0;
    std::string tid, from;
    bool have_request = false;
    void on_head(const imsd::dp::msrp::head& h) override {
        if (server && h.request) {
            tid = h.tid;
            from = h.find("From-Path").value_or("");
            have_request = true;
        } else if (!server && !h.request) {
            answered += h.status == 200 ? 1 : 0;
        }
    }
    void on_body(std::string_view, bool) override {}
    void on_end(char) override {
        if (server && have_request) {
            out += "MSRP " + tid + " 200 OK\r\nTo-Path: " + from +
                   "\r\nFrom-Path: msrp://kernel-b:7000/kb;tcp\r\n-------" + tid + "$\r\n";
            have_request = false;
        }
    }
    void on_error(const imsd::dp::msrp::error&) override {}
};

int msrp_server(int port) {
    int lfd = listen_on(port, 16);
    std::printf("listening\n");
    std::fflush(stdout);
    for (;;) {
        int c = accept(lfd, nullptr, nullptr);
        if (c < 0) {
            continue;
        }
        no_delay(c);
        imsd::dp::msrp::limits l;
        l.max_body_bytes = 1 << 20;
        imsd::dp::msrp::parser p(l);
        msrp_end e;
        e.server = true;
        std::vector<char> buf(1 << 16);
        for (;;) {
            ssize_t r = read(c, buf.data(), buf.size());
            if (r <= 0) {
                break;
            }
            p.feed(std::string_view(buf.data(), static_cast<size_t>(r)), e);
            if (!e.out.empty() && !write_all(c, e.out.data(), e.out.size())) {
                break;
            }
            e.out.clear();
        }
        close(c);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: see the comment at the top of ktcp.cpp\n");
        return 2;
    }
    const std::string mode = argv[1];
    if (mode == "server" && argc == 4) {
        return server(std::atoi(argv[2]), std::strcmp(argv[3], "echo") == 0);
    }
    if (mode == "msrp-server" && argc == 3) {
        return msrp_server(std::atoi(argv[2]));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = imsd::bench::process_cpu_seconds();
    uint64_t moved = 0;
    bool ok = true;
    if (mode == "bulk" && argc == 5) {
        const auto a = address(argv[2], std::atoi(argv[3]));
        const uint64_t bytes = std::strtoull(argv[4], nullptr, 10);
        std::vector<char> buf(1 << 16, 'b');
        int fd = connect_to(a);
        while (moved < bytes && ok) {
            const size_t n = std::min<uint64_t>(buf.size(), bytes - moved);
            ok = write_all(fd, buf.data(), n);
            moved += n;
        }
        shutdown(fd, SHUT_WR);
        char c;
        while (read(fd, &c, 1) > 0) {
        }
        close(fd);
    } else if (mode == "rr" && argc == 7) {
        const auto a = address(argv[2], std::atoi(argv[3]));
        const int conns = std::atoi(argv[4]);
        const uint64_t messages = std::strtoull(argv[5], nullptr, 10);
        const size_t size = std::strtoull(argv[6], nullptr, 10);
        std::vector<int> fds;
        int ep = epoll_create1(0);
        std::vector<char> msg(size, 'r'), in(size);
        std::vector<size_t> got(static_cast<size_t>(conns), 0);
        uint64_t sent = 0;
        for (int i = 0; i < conns; ++i) {
            int fd = connect_to(a);
            fds.push_back(fd);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = static_cast<uint32_t>(i);
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            if (sent < messages) {
                ok = ok && write_all(fd, msg.data(), size);
                ++sent;
            }
        }
        epoll_event events[256];
        while (moved < messages && ok) {
            int n = epoll_wait(ep, events, 256, 10000);
            if (n <= 0) {
                ok = false;
                break;
            }
            for (int k = 0; k < n; ++k) {
                const uint32_t i = events[k].data.u32;
                ssize_t r = read(fds[i], in.data(), size - got[i]);
                if (r <= 0) {
                    ok = false;
                    break;
                }
                got[i] += static_cast<size_t>(r);
                if (got[i] == size) {
                    got[i] = 0;
                    ++moved;
                    if (sent < messages) {
                        ok = ok && write_all(fds[i], msg.data(), size);
                        ++sent;
                    }
                }
            }
        }
        for (int fd : fds) {
            close(fd);
        }
    } else if (mode == "churn" && argc == 6) {
        const auto a = address(argv[2], std::atoi(argv[3]));
        const uint64_t messages = std::strtoull(argv[4], nullptr, 10);
        const size_t size = std::strtoull(argv[5], nullptr, 10);
        std::vector<char> msg(size, 'c'), in(size);
        for (; moved < messages && ok; ++moved) {
            int fd = connect_to(a);
            ok = write_all(fd, msg.data(), size) && read_exact(fd, in.data(), size);
            close(fd);
        }
    } else if (mode == "msrp-client" && argc == 7) {
        const auto a = address(argv[2], std::atoi(argv[3]));
        const uint64_t messages = std::strtoull(argv[4], nullptr, 10);
        const size_t size = std::strtoull(argv[5], nullptr, 10);
        const uint64_t window = std::strtoull(argv[6], nullptr, 10);
        int fd = connect_to(a);
        const std::string body(size, 'm');
        auto request = [&](uint64_t n) {
            const std::string t = "k" + std::to_string(100000000 + n);
            return "MSRP " + t +
                   " SEND\r\nTo-Path: msrp://relay:2855/ka;tcp\r\nFrom-Path: "
                   "msrp://kernel-a:40000/ka;tcp\r\nMessage-ID: m" +
                   std::to_string(n) + "\r\nByte-Range: 1-" + std::to_string(size) + "/" +
                   std::to_string(size) + "\r\nContent-Type: text/plain\r\n\r\n" + body +
                   "\r\n-------" + t + "$\r\n";
        };
        imsd::dp::msrp::parser p(imsd::dp::msrp::limits{});
        msrp_end e;
        uint64_t sent = 0;
        std::string batch;
        for (; sent < window && sent < messages; ++sent) {
            batch += request(sent);
        }
        ok = write_all(fd, batch.data(), batch.size());
        std::vector<char> buf(1 << 16);
        while (ok && e.answered < messages) {
            ssize_t r = read(fd, buf.data(), buf.size());
            if (r <= 0) {
                ok = false;
                break;
            }
            const uint64_t before = e.answered;
            p.feed(std::string_view(buf.data(), static_cast<size_t>(r)), e);
            batch.clear();
            for (uint64_t k = before; k < e.answered && sent < messages; ++k, ++sent) {
                batch += request(sent);
            }
            if (!batch.empty()) {
                ok = write_all(fd, batch.data(), batch.size());
            }
        }
        moved = e.answered;
        close(fd);
    } else {
        std::fprintf(stderr, "ktcp: bad arguments for %s\n", mode.c_str());
        return 2;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "{\"mode\": \"%s\", \"ok\": %s, \"seconds\": %.4f, \"%s\": %llu, \"cli_cpu_s\": %.4f}\n",
        mode.c_str(), ok ? "true" : "false", secs, mode == "bulk" ? "bytes" : "messages",
        static_cast<unsigned long long>(moved), imsd::bench::process_cpu_seconds() - cpu0);
    return ok ? 0 : 1;
}
