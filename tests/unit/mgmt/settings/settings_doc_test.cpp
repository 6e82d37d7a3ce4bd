#include "mgmt/settings/settings_doc.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace imsd::mgmt {
namespace {

std::string doc(const std::string& ports, const std::string& extra = "") {
    return "<?xml version=\"1.0\"?>\n"
           "<imsd xmlns=\"urn:imsd:params:xml:ns:settings:1\" version=\"1\">\n" +
           extra + "<ports>\n" + ports + "</ports>\n</imsd>\n";
}

const std::string one_port =
    "  <port name=\"media0\">\n"
    "    <device>net_tap0,iface=x</device>\n"
    "    <address>198.18.0.1/24</address>\n"
    "  </port>\n";

TEST(settings_doc, embedded_default_is_valid_and_is_the_net_tap_lab) {
    auto s = parse_settings(default_settings_text(), default_settings_name);
    ASSERT_TRUE(s) << s.error().to_string();
    ASSERT_EQ(s->ports.size(), 1u);
    EXPECT_EQ(s->ports[0].device.rfind("net_tap", 0), 0u);
    EXPECT_EQ(s->system.cli_socket, "/run/imsd/imsd.sock");
}

TEST(settings_doc, repository_conf_equals_the_embedded_default) {
    std::ifstream f(IMSD_SOURCE_DIR "/conf/imsd.xml");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, default_settings_text());
}

TEST(settings_doc, values_and_defaults_are_mapped) {
    auto s = parse_settings(
        doc("  <port name=\"p1\"><device>0000:03:00.0</device>"
            "<address>10.1.0.5/16</address><address>192.0.2.9/32</address>"
            "<gateway>10.1.0.1</gateway><mtu>9000</mtu><rx-desc>2048</rx-desc></port>\n",
            "<system><lcores>0,2-3</lcores><hugepages>on</hugepages>"
            "<shutdown-timeout-ms>800</shutdown-timeout-ms></system>"
            "<dataplane><mbufs>4095</mbufs><burst>64</burst></dataplane>\n"),
        "t.xml");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->system.lcores, "0,2-3");
    EXPECT_EQ(s->system.hugepages, platform::hugepage_mode::on);
    EXPECT_EQ(s->system.shutdown_timeout_ms, 800u);
    EXPECT_EQ(s->system.file_prefix, "imsd");  // default
    EXPECT_EQ(s->dataplane.mbufs, 4095u);
    EXPECT_EQ(s->dataplane.burst, 64);
    EXPECT_EQ(s->dataplane.neighbour_entries, 1024u);  // default
    const auto& p = s->ports.at(0);
    EXPECT_EQ(p.name, "p1");
    EXPECT_EQ(p.device, "0000:03:00.0");
    ASSERT_EQ(p.addresses.size(), 2u);
    EXPECT_EQ(p.addresses[0].addr_be, inet_addr("10.1.0.5"));
    EXPECT_EQ(p.addresses[0].len, 16);
    EXPECT_EQ(p.addresses[1].len, 32);
    EXPECT_EQ(p.gateway_be.value(), inet_addr("10.1.0.1"));
    EXPECT_EQ(p.mtu, 9000);
    EXPECT_EQ(p.rx_desc, 2048);
    EXPECT_EQ(p.tx_desc, 1024);
}

// The MSRP relay's sizes, its own buffer pool among them (0: none).
TEST(settings_doc, msrp_relay_values_and_defaults_are_mapped) {
    auto s = parse_settings(
        doc("  <port name=\"p1\"><device>net_null0</device><address>10.1.0.5/16</address></port>\n",
            "<dataplane><msrp><port-first>2855</port-first><out-mbufs>0</out-mbufs>"
            "</msrp></dataplane>\n"),
        "t.xml");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->dataplane.msrp.port_first, 2855);
    EXPECT_EQ(s->dataplane.msrp.out_mbufs, 0u);
    EXPECT_EQ(s->dataplane.msrp.out_limit_bytes, 256u * 1024);  // default
    s = parse_settings(
        doc("  <port name=\"p1\"><device>net_null0</device><address>10.1.0.5/16</address></port>\n",
            "<dataplane><msrp><port-first>2855</port-first><out-mbufs>1023</out-mbufs>"
            "</msrp></dataplane>\n"),
        "t.xml");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->dataplane.msrp.out_mbufs, 1023u);
    s = parse_settings(
        doc("  <port name=\"p1\"><device>net_null0</device><address>10.1.0.5/16</address></port>\n",
            "<dataplane><msrp><port-first>2855</port-first></msrp></dataplane>\n"),
        "t.xml");
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->dataplane.msrp.out_mbufs, 4095u);  // default
}

struct bad_case {
    const char* name;
    std::string text;
    int line;            // expected line of the first problem
    const char* reason;  // a word the reason must contain
};

void PrintTo(const bad_case& c, std::ostream* os) { *os << c.name; }

class settings_doc_rejects : public ::testing::TestWithParam<bad_case> {};

TEST_P(settings_doc_rejects, with_file_line_and_reason) {
    const auto& c = GetParam();
    auto s = parse_settings(c.text, "bad.xml");
    ASSERT_FALSE(s) << c.name;
    EXPECT_EQ(s.error().where, "bad.xml:" + std::to_string(c.line)) << s.error().to_string();
    EXPECT_NE(s.error().what.find(c.reason), std::string::npos) << s.error().to_string();
}

INSTANTIATE_TEST_SUITE_P(
    schema_and_cross_field_rules, settings_doc_rejects,
    ::testing::Values(
        bad_case{"not_well_formed", "<imsd version=\"1\"><ports>\n</imsd>", 2, "mismatch"},
        bad_case{"empty", "", 1, "empty"},
        bad_case{"wrong_namespace", "<imsd version=\"1\"><ports/></imsd>", 1, "imsd"},
        bad_case{"missing_ports", doc("").replace(doc("").find("<ports>"), 17, ""), 2, "ports"},
        bad_case{"unknown_element", doc(one_port, "<system><colour>red</colour></system>\n"), 3,
                 "colour"},
        bad_case{"mtu_out_of_range",
                 doc("  <port name=\"m\"><device>net_null0</device>\n"
                     "<address>198.18.0.1/24</address>\n<mtu>70000</mtu></port>\n"),
                 6, "mtu"},
        bad_case{"bad_address",
                 doc("  <port name=\"m\"><device>net_null0</device>\n"
                     "<address>198.18.0.300/24</address></port>\n"),
                 5, "address"},
        bad_case{"bad_lcores", doc(one_port, "<system>\n<lcores>all</lcores></system>\n"), 4,
                 "lcores"},
        bad_case{"duplicate_port_name",
                 doc(one_port + "  <port name=\"media0\">\n<device>net_null0</device>\n"
                                "<address>198.18.1.1/24</address></port>\n"),
                 8, "twice"},
        bad_case{"duplicate_address",
                 doc(one_port + "  <port name=\"other\">\n<device>net_null0</device>\n"
                                "<address>198.18.0.1/24</address></port>\n"),
                 8, "twice"},
        bad_case{"gateway_off_link",
                 doc("  <port name=\"m\"><device>net_null0</device>\n"
                     "<address>198.18.0.1/24</address><gateway>10.0.0.1</gateway></port>\n"),
                 4, "gateway"},
        bad_case{"network_address",
                 doc("  <port name=\"m\"><device>net_null0</device>\n"
                     "<address>198.18.0.0/24</address></port>\n"),
                 4, "network or broadcast"},
        bad_case{"loopback_address",
                 doc("  <port name=\"m\"><device>net_null0</device>\n"
                     "<address>127.0.0.5/8</address></port>\n"),
                 4, "unicast"},
        bad_case{"dtd_refused",
                 "<?xml version=\"1.0\"?>\n<!DOCTYPE imsd [<!ENTITY a \"x\">]>\n" + doc(one_port),
                 2, "DTD"},
        bad_case{"xxe_refused",
                 "<?xml version=\"1.0\"?>\n<!DOCTYPE imsd [<!ENTITY x SYSTEM "
                 "\"file:///etc/passwd\">]>\n<imsd>&x;</imsd>",
                 2, "DTD"},
        bad_case{"non_utf8",
                 std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") +
                     "<imsd version=\"1\">\xff\xfe</imsd>",
                 2, "UTF-8"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(settings_doc, billion_laughs_is_refused_before_any_expansion) {
    std::string text = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
    for (int i = 1; i < 10; ++i) {
        text += "<!ENTITY lol" + std::to_string(i) + " \"";
        for (int k = 0; k < 10; ++k) {
            text += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
        }
        text += "\">\n";
    }
    text += "]>\n<imsd>&lol9;</imsd>\n";
    auto s = parse_settings(text, "lolz.xml");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().what.find("DTD"), std::string::npos);
}

TEST(settings_doc, oversized_document_is_refused) {
    std::string text = doc(one_port, "<!--" + std::string(max_settings_bytes, 'x') + "-->");
    auto s = parse_settings(text, "huge.xml");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().what.find("larger"), std::string::npos);
}

TEST(settings_doc, deeply_nested_document_is_rejected_cleanly) {
    std::string text =
        "<?xml version=\"1.0\"?>\n<imsd version=\"1\" "
        "xmlns=\"urn:imsd:params:xml:ns:settings:1\"><system>";
    for (int i = 0; i < 5000; ++i) {
        text += "<a>";
    }
    for (int i = 0; i < 5000; ++i) {
        text += "</a>";
    }
    text += "</system><ports/></imsd>";
    auto s = parse_settings(text, "deep.xml");
    EXPECT_FALSE(s);
}

TEST(settings_doc, missing_file_names_the_file) {
    auto s = load_settings_file("/nonexistent/imsd.xml");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().where, "/nonexistent/imsd.xml");
    EXPECT_NE(s.error().what.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace imsd::mgmt
