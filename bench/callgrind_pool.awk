# bench/callgrind_pool.awk: reads one callgrind output file (bench/callgrind.sh)
# and prints "TOTAL POOL": every instruction counted, and the instructions of
# the calls libmicrohttpd makes into memset (its per-request zeroing of the
# connection pool; valgrind counts each byte of `rep stosb`).
#
# The format names objects and functions once as "(id) name" and then by
# "(id)" alone (an object may be named first as a callee, cob=); a "calls=" line is followed by the inclusive cost of that
# call, attributed to the current object (ob=) calling cfn=.
function name(kind, v,   id, rest) {
  if (match(v, /^\([0-9]+\)/)) {
    id = substr(v, 2, RLENGTH - 2)
    rest = substr(v, RLENGTH + 2)
    if (rest != "")
      names[kind, id] = rest
    return names[kind, id]
  }
  return v
}
/^ob=/ { ob = name("ob", substr($0, 4)); next }
/^fn=/ { name("fn", substr($0, 4)); next }
/^cob=/ { name("ob", substr($0, 5)); next }
/^cfn=/ { cfn = name("fn", substr($0, 5)); next }
/^calls=/ { in_call = 1; next }
/^summary:/ { total = $2; next }
/^[0-9+*-]/ {
  if (in_call && ob ~ /libmicrohttpd/ && cfn ~ /memset/)
    pool += $2
  in_call = 0
}
END { printf "%d %d\n", total, pool }
