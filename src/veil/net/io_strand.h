// Private to veil::net: what the opaque IoStrand of response_writer.h holds.
// Only net's .cpp files include this (it pulls in Asio).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "veil/net/response_writer.h"

namespace veil::net {

struct IoStrand {
  // The connection's strand: handlers bound to it never run concurrently
  // with the connection's own I/O handlers.
  boost::asio::any_io_executor executor;
};

}  // namespace veil::net
