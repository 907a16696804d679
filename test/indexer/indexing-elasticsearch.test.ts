// Needs ELASTICSEARCH_URL (npm test starts a local node when it is unset); without it these tests fail.
import { indexingSuite } from './indexing-suite.js';

indexingSuite('elasticsearch');
