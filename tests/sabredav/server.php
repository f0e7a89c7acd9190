<?php
// SabreDAV 1.8 (Debian's php-sabre-dav) as a CalDAV server for g40cal's tests.
// Started by tests/caldav_servers.py with PHP's built-in server: one SQLite database in
// the test's folder (SABRE_DB), users and passwords from SABRE_USERS ("name:pass,name:pass"),
// HTTP basic authentication.
require_once 'Sabre/autoload.php';

class TestUsers extends \Sabre\DAV\Auth\Backend\AbstractBasic {
    private $users;
    function __construct(array $users) { $this->users = $users; }
    protected function validateUserPass($username, $password) {
        return isset($this->users[$username]) && $this->users[$username] === $password;
    }
}

$users = array();
foreach (explode(',', getenv('SABRE_USERS')) as $pair) {
    list($name, $pass) = explode(':', $pair, 2);
    $users[$name] = $pass;
}
$pdo = new \PDO('sqlite:' . getenv('SABRE_DB'));
$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$principals = new \Sabre\DAVACL\PrincipalBackend\PDO($pdo);
$calendars = new \Sabre\CalDAV\Backend\PDO($pdo);
$server = new \Sabre\DAV\Server(array(
    new \Sabre\CalDAV\Principal\Collection($principals),
    new \Sabre\CalDAV\CalendarRootNode($principals, $calendars),
));
$server->setBaseUri('/');
$server->addPlugin(new \Sabre\DAV\Auth\Plugin(new TestUsers($users), 'SabreDAV'));
$server->addPlugin(new \Sabre\DAVACL\Plugin());
$server->addPlugin(new \Sabre\CalDAV\Plugin());
$server->exec();
