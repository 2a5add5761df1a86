// Shorthands for the net/ unit tests: an address or block from text, with
// the parse error reported as a test failure.
#pragma once

#include <gtest/gtest.h>

#include "net/ipv4.h"

namespace rampart::net::testing_util {

inline Ipv4Cidr C(const char* text) {
  auto r = Ipv4Cidr::Parse(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << r.error().message();
  return r.has_value() ? *r : Ipv4Cidr();
}

inline Ipv4Addr A(const char* text) {
  auto r = Ipv4Addr::Parse(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << r.error().message();
  return r.has_value() ? *r : Ipv4Addr();
}

}  // namespace rampart::net::testing_util
