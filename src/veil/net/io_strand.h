// Private to veil::net: what the opaque IoStrand of response_writer.h holds.
// Only net's .cpp files include this (it pulls in Asio).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "veil/net/response_writer.h"

namespace veil::net {

struct IoStrand {
  // The connection's executor: its I/O thread's io_context, which that one
  // thread alone runs, so handlers bound to it never run concurrently with
  // the connection's own I/O handlers. (An Asio strand on top would add a
  // queue hop and a type-erased copy per handler and serialize nothing more.)
  boost::asio::any_io_executor executor;
};

}  // namespace veil::net
