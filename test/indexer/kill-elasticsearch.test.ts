// Needs ELASTICSEARCH_URL (npm test starts a local node when it is unset); without it these tests fail.
import { killSuite } from './kill-suite.js';

killSuite('elasticsearch');
