# authd
