// The B2BUA's SDP re-origination (OMA IM 6.1.1.2.2 step 1.g, 200 OK step 4).

#include "sigplane/b2bua/sdp_rewrite.hpp"

#include <gtest/gtest.h>

#include "sigplane/checks/sdp_offer.hpp"

namespace imsd::sig {
namespace {

const std::string client_offer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 10.1.1.2\r\n"
    "s=-\r\n"
    "c=IN IP4 10.1.1.2\r\n"
    "t=0 0\r\n"
    "m=message 7654 TCP/MSRP *\r\n"
    "a=accept-types:message/cpim text/plain\r\n"
    "a=accept-wrapped-types:*\r\n"
    "a=max-size:65536\r\n"
    "a=path:msrp://10.1.1.2:7654/jshA7we;tcp\r\n"
    "a=setup:actpass\r\n";

TEST(sdp_rewrite, offer_is_reoriginated_with_the_relay_leg_and_keeps_the_rest) {
    const sdp_leg leg{"198.18.0.1", "msrp://198.18.0.1:2855/Ab3dE6gH9jK1mN4pQ7sT;tcp", 42, 1,
                      msrp_setup::unspecified};
    const std::string out = rewrite_msrp_sdp(client_offer, leg);
    EXPECT_NE(out.find("o=imsd 42 1 IN IP4 198.18.0.1\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("c=IN IP4 198.18.0.1\r\n"), std::string::npos);
    EXPECT_NE(out.find("m=message 2855 TCP/MSRP *\r\n"), std::string::npos);
    EXPECT_NE(out.find("a=path:msrp://198.18.0.1:2855/Ab3dE6gH9jK1mN4pQ7sT;tcp\r\n"),
              std::string::npos);
    EXPECT_EQ(out.find("10.1.1.2"), std::string::npos) << "nothing of the client's address left";
    EXPECT_EQ(out.find("a=setup"), std::string::npos) << "the client's a=setup was about its leg";
    for (const char* kept :
         {"a=accept-types:message/cpim text/plain\r\n", "a=accept-wrapped-types:*\r\n",
          "a=max-size:65536\r\n", "s=-\r\n", "t=0 0\r\n"}) {
        EXPECT_NE(out.find(kept), std::string::npos) << kept;
    }
    // What imsd sends parses as an MSRP offer with its own path.
    auto o = parse_msrp_offer(out);
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->path, leg.path);
    EXPECT_EQ(o->max_size, 65536u);
}

TEST(sdp_rewrite, answer_states_how_imsd_connects_and_other_media_are_kept) {
    const std::string answer =
        "v=0\r\no=bob 1 1 IN IP4 10.2.2.2\r\ns=-\r\nc=IN IP4 10.2.2.2\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        "m=message 7655 TCP/MSRP *\na=x-extra:1\na=path:msrp://10.2.2.2:7655/bob;tcp\n";
    const sdp_leg leg{"198.18.0.1", "msrp://198.18.0.1:2855/abc;tcp", 7, 2, msrp_setup::passive};
    const std::string out = rewrite_msrp_sdp(answer, leg);
    EXPECT_NE(out.find("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"), std::string::npos)
        << out;
    EXPECT_NE(out.find("m=message 2855 TCP/MSRP *\r\na=setup:passive\r\n"), std::string::npos)
        << out;
    EXPECT_NE(out.find("a=path:msrp://198.18.0.1:2855/abc;tcp\r\n"), std::string::npos);
    EXPECT_NE(out.find("a=x-extra:1\r\n"), std::string::npos);
    EXPECT_EQ(out.find("\n\n"), std::string::npos) << "bare LF lines come out as CRLF";
}

TEST(sdp_rewrite, who_connects_rfc_4975_and_6135) {
    // RFC 4975 5.4: without a=setup the offerer connects.
    EXPECT_TRUE(imsd_connects(msrp_setup::unspecified, true));
    EXPECT_FALSE(imsd_connects(msrp_setup::unspecified, false));
    // RFC 6135: the peer's a=setup decides.
    EXPECT_FALSE(imsd_connects(msrp_setup::active, true));
    EXPECT_TRUE(imsd_connects(msrp_setup::passive, false));
    EXPECT_EQ(parse_setup(" actpass "), msrp_setup::actpass);
    EXPECT_EQ(parse_setup("bogus"), msrp_setup::unspecified);
}

TEST(sdp_rewrite, msrp_uri_parts) {
    EXPECT_EQ(msrp_uri_port("msrp://198.18.0.1:2855/abc;tcp"), 2855);
    EXPECT_EQ(msrp_uri_host("msrp://198.18.0.1:2855/abc;tcp"), "198.18.0.1");
    EXPECT_EQ(msrp_uri_port("msrp://host/abc;tcp"), 0);
    EXPECT_EQ(msrp_uri_port("not a uri"), 0);
    EXPECT_EQ(msrp_uri_port("msrp://h:99999/x"), 0);
}

}  // namespace
}  // namespace imsd::sig
