#pragma once

// The operator settings as immutable values. mgmt/settings parses and
// validates the XML document into this; every plane reads it (through an RCU
// snapshot where it changes at run time). Defaults here are the documented
// defaults of conf/imsd.xsd.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imsd::platform {

struct ipv4_prefix {
    uint32_t addr_be = 0;  // network byte order
    uint8_t len = 32;
};

struct port_settings {
    std::string name;    // operator's name for the port, e.g. "media0"
    std::string device;  // PCI address ("0000:03:00.0") or vdev string ("net_tap0,iface=x")
    std::vector<ipv4_prefix> addresses;  // media addresses owned on this port
    std::optional<uint32_t> gateway_be;  // next hop for off-link destinations
    uint16_t mtu = 1500;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    int line = 0;  // line of <port> in the document, for error messages
};

enum class hugepage_mode { automatic, on, off };

struct system_settings {
    std::string node_name = "imsd";
    std::string cli_socket = "/run/imsd/imsd.sock";
    std::string cli_group = "imsd";  // group owning the socket; root's if it does not exist
    std::string lcores = "auto";     // "auto" or a DPDK list like "0-3" / "0,2"
    std::string file_prefix = "imsd";
    hugepage_mode hugepages = hugepage_mode::automatic;
    uint32_t memory_mb = 0;  // 0: sized from the pools
    uint32_t shutdown_timeout_ms = 5000;
    std::string log_level = "info";
    std::string store_path = "/var/lib/imsd/store.db";
};

struct tcp_settings {
    uint16_t echo_port = 0;  // 0: off
    uint16_t sink_port = 0;
    uint32_t rcv_buffer_bytes = 256 * 1024;
    uint32_t snd_buffer_bytes = 256 * 1024;
    uint32_t rto_min_ms = 200;
    uint32_t max_retries = 8;
    uint32_t delack_ms = 40;
    uint32_t time_wait_ms = 2000;
    uint32_t max_time_wait = 1024;
    uint32_t max_half_open = 1024;
    uint32_t keepalive_idle_s = 0;  // 0: off
    uint32_t keepalive_interval_s = 75;
    uint32_t keepalive_probes = 9;
    bool enabled() const { return echo_port != 0 || sink_port != 0; }
};

// The lab impairment stage (both directions of every port); all 0: off.
struct impair_settings {
    uint32_t loss_ppm = 0;
    uint32_t duplicate_ppm = 0;
    uint32_t reorder_ppm = 0;
    uint32_t reorder_hold_us = 1000;
    uint32_t delay_us = 0;
    bool enabled() const { return loss_ppm || duplicate_ppm || reorder_ppm || delay_us; }
};

// The MSRP relay; port_first 0: off.
struct msrp_relay_settings {
    uint16_t port_first = 0;
    uint16_t port_last = 0;  // 0: port_first
    uint32_t max_sessions = 1024;
    uint32_t max_connections = 2048;
    uint32_t out_limit_bytes = 256 * 1024;
    uint32_t out_mbufs = 4095;          // per lcore: the relay's own buffers; 0: the shared pool
    uint32_t scan_streams = 4096;       // Hyperscan stream states, whole dataplane
    uint32_t scan_stream_bytes = 4096;  // each
    bool enabled() const { return port_first != 0; }
};

// SIP through the dataplane (OMA IM issue 6 step 1): UDP datagrams to the
// SIP port are framed, validated and policed per source address, then punted
// with the SIP port's TCP to the kernel through a TAP interface where the
// sigplane listens; port 0: off.
struct sip_path_settings {
    uint16_t port = 0;
    std::string punt_interface = "imsd-sig0";  // the TAP's kernel-side name
    uint32_t rate_per_source = 200;            // requests and responses per second; 0: unpoliced
    uint32_t burst_per_source = 400;
    uint32_t max_sources = 16384;  // tracked per lcore; more share one bucket
    bool enabled() const { return port != 0; }
};

struct dataplane_settings {
    uint32_t mbufs = 8191;
    uint32_t mbuf_cache = 256;
    uint16_t burst = 32;
    uint32_t idle_sleep_us = 0;  // 0: poll without pause (production); >0: lab boxes
    uint32_t neighbour_entries = 1024;
    uint32_t neighbour_timeout_ms = 300000;
    uint32_t arp_retry_ms = 1000;
    uint32_t arp_retries = 3;
    tcp_settings tcp;
    msrp_relay_settings msrp;
    sip_path_settings sip;
    impair_settings impair;
};

struct limits_settings {
    uint32_t max_sessions = 100000;
    uint32_t max_message_bytes = 10 * 1024 * 1024;
    uint32_t max_sip_headers = 64;
    uint32_t max_connections_per_lcore = 16384;
};

// OMA IM 6.1.1: whether the Participating Function stays in the media path.
// dynamic: when the user's history setting is active or charging needs it.
enum class media_path_policy { always, never, dynamic };

// Content and size policy of one kind of request (6.1.1.1 step 4).
struct content_policy {
    std::vector<std::string> content_types;  // empty: any
    uint64_t max_size_bytes = 0;             // 0: no limit
};

struct im_settings {
    media_path_policy media_path = media_path_policy::dynamic;
    bool charging_needs_media_path = false;
    // 6.1.1.2.2: with imsd in the media path, the served client's messages
    // are relayed with Include-Sent-Count and Distribution-Count recorded.
    bool request_sent_counts = true;
    // 6.1.1.1 step 3: when required, User-Agent must carry IM-client/OMA<release>.
    bool require_client_release = false;
    std::vector<std::string> client_releases = {"1.0", "2.0"};
    content_policy pager{{"text/plain", "message/cpim"}, 1300};
    content_policy session{};
    content_policy large_message{};
    content_policy file_transfer{};
    uint32_t system_message_timeout_s = 300;  // 6.1.1.1 step 2
    // 6.1.2.1 step 4: a Pager Mode message past its Expires is refused (403)
    // or delivered all the same.
    bool deliver_expired_pager = false;
    uint32_t deferred_retention_s = 7 * 24 * 3600;  // deferred messages kept this long
    std::vector<ipv4_prefix> trusted_peers;         // SIP/IP Core: P-Asserted-Identity source
    // Where the new requests imsd originates go (6.1.1.2.2 step 1.h "according
    // to the SIP/IP Core"): a SIP URI, e.g. sip:scscf.example.net:5060;lr.
    // Empty: the Route set and Request-URI of the request decide.
    std::string core_uri;
    uint32_t session_expires_s = 1800;  // RFC 4028
    uint32_t min_se_s = 90;
    uint32_t msrp_response_timeout_ms = 30000;  // RFC 4975 7.3
};

enum class rule_action { allow, block, count };

// One operator content rule: a Hyperscan expression over message bodies.
struct content_rule {
    uint32_t id = 0;
    std::string expression;
    bool caseless = false;
    bool dotall = false;
    bool multiline = false;
    rule_action action = rule_action::block;
    std::string description;
    int line = 0;
};

struct settings {
    std::string source;  // file name, or "<embedded default>"
    system_settings system;
    dataplane_settings dataplane;
    std::vector<port_settings> ports;
    limits_settings limits;
    im_settings im;
    std::vector<content_rule> content_rules;
};

}  // namespace imsd::platform
