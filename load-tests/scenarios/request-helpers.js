'use strict';
// Building blocks of autocannon `requests`: each request of a run can speak
// for another user, so per-user data (cart, wallets, orders) is realistic.

/** Cycles over `items`, shared by every connection of a run. */
function cycle(items) {
  let next = 0;
  return () => items[next++ % items.length];
}

/**
 * Hands each connection a user nobody else is using (a cart must not be
 * checked out by two connections at once), falling back to round robin when
 * every user is taken (a lease lost to a timeout).
 */
function leasePool(items) {
  const free = [...items];
  const fallback = cycle(items);
  return {
    take: () => free.shift() ?? fallback(),
    give: (item) => {
      if (item && !free.includes(item)) free.push(item);
    },
  };
}

/** setupRequest that signs each request as the next user of `users`, with `extra(user, request, context)` on top. */
function asRotatingUser(users, extra) {
  const nextUser = cycle(users);
  return (request, context) => {
    const user = nextUser();
    request.headers = { ...request.headers, authorization: `Bearer ${user.token}` };
    return extra ? extra(user, request, context) : request;
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

module.exports = { cycle, leasePool, asRotatingUser, JSON_HEADERS };
